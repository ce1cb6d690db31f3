import { podMemoryLimit } from './memory-plan';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asOperatorVersion,
  displayPath,
  OPERATOR_FEATURES,
  OPERATOR_VERSIONS,
  type OperatorVersion,
  type Target,
  targetDir,
} from '../values';
import { CLUSTER_FILE, interruptedSynth, OPERATOR_FILE } from '../target-folder/files';
import { readOperatorRelease } from '../target-folder/operator-release';
import { isRecord, parseManifest, restateClusters } from '../target-folder/restate-cluster';
import { ManifestError } from '../target-folder/manifest-error';

/** One `spec.compute.env` entry, as Kubernetes takes it. */
export interface ClusterEnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: Record<string, unknown>;
}

/** What verify needs from a synthesized RestateCluster: what ships, not the values it came from. */
export interface ClusterUnderTest {
  /** The manifest file it was read from, for messages. */
  readonly file: string;
  /** `metadata.name`: also the namespace the operator creates. */
  readonly name: string;
  /** `spec.clusterName`, else the object name: what the operator passes as RESTATE_CLUSTER_NAME. */
  readonly clusterName: string;
  /** `spec.compute.image`. */
  readonly image: string;
  /** `spec.compute.replicas` (the CRD's default is 1). */
  readonly replicas: number;
  /** `spec.config`: the TOML the operator writes verbatim to config.toml. */
  readonly config: string;
  /** `spec.compute.env`: overrides the operator's own variables of the same name. */
  readonly env: readonly ClusterEnvVar[];
  /** `spec.security` as written (the NetworkPolicies are derived from it). @default undefined */
  readonly security?: Readonly<Record<string, unknown>>;
  /** The operator that reconciles it, from the target's operator file: the model follows it. @default "1.7.4" */
  readonly operatorVersion?: OperatorVersion;
  /** `spec.cluster.autoProvision` (operator 2.8.1): the operator provisions the cluster. @default false */
  readonly autoProvision?: boolean;
  /** `spec.compute.resources.limits.memory`: the live check runs each node under it. @default - no limit */
  readonly memoryLimit?: string;
}

/** Reads the one RestateCluster of a manifest text; problems name the file and the key path. */
export function parseClusterManifest(text: string, file: string, operatorVersion: OperatorVersion = '1.7.4'): ClusterUnderTest {
  const manifest = parseManifest(text);
  if (manifest.yamlError !== undefined) throw new ManifestError(file, '', `YAML syntax error: ${manifest.yamlError}`);
  const clusters = restateClusters(manifest.objects, 'restate.dev/v1');
  if (clusters.length !== 1) {
    throw new ManifestError(file, '', `must hold exactly one RestateCluster (restate.dev/v1), found ${clusters.length}`);
  }
  const cluster = clusters[0];
  const metadata = isRecord(cluster.metadata) ? cluster.metadata : {};
  const spec = isRecord(cluster.spec) ? cluster.spec : {};
  const compute = isRecord(spec.compute) ? spec.compute : {};

  if (typeof metadata.name !== 'string' || metadata.name === '') throw new ManifestError(file, 'metadata.name', 'missing');
  if (typeof compute.image !== 'string' || compute.image === '') throw new ManifestError(file, 'spec.compute.image', 'missing');
  if (typeof spec.config !== 'string' || spec.config.trim() === '') {
    throw new ManifestError(file, 'spec.config', 'missing: verify checks the server config, and there is none');
  }
  const replicas = compute.replicas ?? 1;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
    throw new ManifestError(file, 'spec.compute.replicas', `must be a whole number of at least 1, got ${JSON.stringify(replicas)}`);
  }
  const envList = compute.env ?? [];
  if (!Array.isArray(envList)) throw new ManifestError(file, 'spec.compute.env', 'must be a list');
  const env = envList.map((entry: unknown, index: number): ClusterEnvVar => {
    if (!isRecord(entry) || typeof entry.name !== 'string') throw new ManifestError(file, `spec.compute.env.${index}`, 'must have a name');
    return {
      name: entry.name,
      ...(typeof entry.value === 'string' ? { value: entry.value } : {}),
      ...(isRecord(entry.valueFrom) ? { valueFrom: entry.valueFrom } : {}),
    };
  });
  const clusterName = typeof spec.clusterName === 'string' && spec.clusterName !== '' ? spec.clusterName : metadata.name;
  const security = isRecord(spec.security) ? { security: spec.security } : {};
  const autoProvision = isRecord(spec.cluster) && spec.cluster.autoProvision === true;
  const memoryLimit = podMemoryLimit(spec);
  if (autoProvision && !OPERATOR_FEATURES[operatorVersion].autoProvision) {
    throw new ManifestError(
      file,
      'spec.cluster.autoProvision',
      `operator ${operatorVersion} does not provision clusters (it arrived in 2.1.0)`,
    );
  }
  return {
    file,
    name: metadata.name,
    clusterName,
    image: compute.image,
    replicas,
    config: spec.config,
    env,
    ...security,
    operatorVersion,
    autoProvision,
    ...(memoryLimit ? { memoryLimit } : {}),
  };
}

/** Reads the RestateCluster of a synthesized target from `<dist>/<environment>/<provider>/0001-cluster.k8s.yaml`. */
export function readClusterUnderTest(distDir: string, target: Target): ClusterUnderTest {
  const file = join(distDir, targetDir(target), CLUSTER_FILE);
  const shown = displayPath(file);
  const interrupted = interruptedSynth(distDir);
  if (interrupted) throw new ManifestError(displayPath(distDir), '', interrupted);
  if (!existsSync(file)) {
    throw new ManifestError(
      shown,
      '',
      `missing: synthesize the target first (npm run synth -- --environment ${target.environment} --provider ${target.provider})`,
    );
  }
  return parseClusterManifest(readFileSync(file, 'utf8'), shown, targetOperatorVersion(join(distDir, targetDir(target), OPERATOR_FILE)));
}

/** The operator version a target's operator file deploys; a version verify does not model is an error. */
function targetOperatorVersion(file: string): OperatorVersion {
  if (!existsSync(file)) return '1.7.4';
  const { operatorVersion } = readOperatorRelease(readFileSync(file, 'utf8'));
  const version = asOperatorVersion(operatorVersion);
  if (version === undefined) {
    throw new ManifestError(
      displayPath(file),
      '',
      `deploys operator ${operatorVersion ?? '(no version found)'}; verify models ${OPERATOR_VERSIONS.join(' and ')}`,
    );
  }
  return version;
}
