import * as TOML from '@iarna/toml';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sopsFilePath, type StackValues, targetDir } from '../values';
import { DeployError } from './errors';
import { ChartIds } from '../target-folder/charts';
import { interruptedSynth, listTargetFiles, SOPS_SECRET_FILE } from '../target-folder/files';
import { ManifestError } from '../target-folder/manifest-error';
import { parseManifest, restateClusters } from '../target-folder/restate-cluster';

/** One synthesized target, ready to be previewed or promoted. */
export interface DeployTarget {
  readonly values: StackValues;
  /** `<dist>/<environment>/<provider>`. */
  readonly folder: string;
  /** Every file of the folder, in file (= apply) order. */
  readonly files: readonly string[];
  /** Operator delivery (namespace, CRDs, chart objects | Argo CD Application | Flux objects). */
  readonly operatorFile: string;
  /** The RestateCluster. */
  readonly clusterFile: string;
  /** The in-cluster provisioning step, when the target has one. */
  readonly provisioningFile?: string;
  /** The SOPS-encrypted credentials Secret (credentials.source sops), applied decrypted once the namespace exists. */
  readonly secretFile?: string;
  /** Files of other charts, in file order, applied once the cluster is Ready. */
  readonly otherFiles: readonly string[];
  /** The cluster's config says `auto-provision = true`: it provisions itself, nothing to run. */
  readonly autoProvision: boolean;
  /** `spec.cluster.autoProvision` (operator 2.8.1): the operator provisions the cluster, nothing to run. @default false */
  readonly operatorProvisions?: boolean;
}

/** What to run to rebuild the target folder of `values`. */
export function rebuildHint(values: StackValues): string {
  return `run \`mise run deploy:build --environment ${values.environment} --provider ${values.provider}\` first`;
}

/**
 * Locates the synthesized files of a target and checks that they belong to its values: the RestateCluster
 * has the values' name, and provisioning is covered exactly one way (Job, auto-provision, or the exec step).
 * What promote applies is what is in the folder, so a stale folder is refused rather than half-trusted.
 */
export function locateTarget(dist: string, values: StackValues, valuesDir?: string): DeployTarget {
  const folder = join(dist, targetDir(values));
  const rebuild = rebuildHint(values);
  const interrupted = interruptedSynth(dist);
  if (interrupted) throw new DeployError(interrupted);
  if (!existsSync(folder)) throw new DeployError(`${folder} does not exist: ${rebuild}`);

  const { files, byChart } = listTargetFiles(folder);
  const operatorFile = byChart.get(ChartIds.OPERATOR);
  const clusterFile = byChart.get(ChartIds.CLUSTER);
  if (!operatorFile || !clusterFile) {
    throw new DeployError(
      `${folder} lacks the ${operatorFile ? 'cluster' : 'operator'} file (NNNN-${operatorFile ? 'cluster' : 'operator'}.k8s.yaml): ${rebuild}`,
    );
  }
  const provisioningFile = byChart.get(ChartIds.PROVISIONING);
  const { autoProvision, operatorProvisions } = readClusterFile(clusterFile, values.clusterName, rebuild);

  if (provisioningFile && !values.provisioning.automated) {
    throw new DeployError(`provisioning.automated is false but ${provisioningFile} exists (stale build?): ${rebuild}`);
  }
  if (values.provisioning.automated && !provisioningFile && !autoProvision && !operatorProvisions) {
    throw new DeployError(
      `provisioning.automated is true but ${folder} has no provisioning file and the cluster does not auto-provision (stale build?): ${rebuild}`,
    );
  }
  const secretFile = checkSecretFile(folder, values, valuesDir, rebuild);
  const known = new Set<string>([operatorFile, clusterFile, ...(provisioningFile ? [provisioningFile] : [])]);
  return {
    values,
    folder,
    files,
    operatorFile,
    clusterFile,
    provisioningFile,
    secretFile,
    otherFiles: files.filter((file) => !known.has(file)),
    autoProvision,
    operatorProvisions,
  };
}

/**
 * Checks the RestateCluster's name and returns its `auto-provision` (the server's default is true) and
 * `spec.cluster.autoProvision` (operator 2.8.1). A file that is
 * not YAML, or whose config is not TOML, is a ManifestError; one for another cluster or with none is a stale build.
 */
function readClusterFile(file: string, clusterName: string, rebuild: string): { autoProvision: boolean; operatorProvisions: boolean } {
  const manifest = parseManifest(readFileSync(file, 'utf8'));
  if (manifest.yamlError !== undefined) throw new ManifestError(file, '', `is not valid YAML (${manifest.yamlError}): ${rebuild}`);
  const cluster = restateClusters(manifest.objects)[0] as
    | { metadata?: { name?: string }; spec?: { config?: unknown; cluster?: { autoProvision?: unknown } } }
    | undefined;
  if (!cluster) throw new DeployError(`${file} holds no RestateCluster: ${rebuild}`);
  if (cluster.metadata?.name !== clusterName) {
    throw new DeployError(
      `${file} is for RestateCluster "${cluster.metadata?.name}", but clusterName is "${clusterName}" (stale build?): ${rebuild}`,
    );
  }
  const text = cluster.spec?.config ?? '';
  if (typeof text !== 'string') throw new ManifestError(file, 'spec.config', `is not a string: ${rebuild}`);
  let config: { 'auto-provision'?: unknown };
  try {
    config = TOML.parse(text);
  } catch (error) {
    throw new ManifestError(file, 'spec.config', `is not valid TOML (${(error as Error).message.split('\n')[0]}): ${rebuild}`);
  }
  return { autoProvision: config['auto-provision'] !== false, operatorProvisions: cluster.spec?.cluster?.autoProvision === true };
}

/**
 * The target's SOPS file, checked against the values: present exactly when credentials.source is sops, and
 * (given the values folder) the same bytes as the values' sopsFile, so that a re-encrypted or rotated Secret is
 * not promoted from a stale build.
 */
function checkSecretFile(folder: string, values: StackValues, valuesDir: string | undefined, rebuild: string): string | undefined {
  const file = join(folder, SOPS_SECRET_FILE);
  const present = existsSync(file);
  const source = values.objectStorage?.credentials?.source;
  if (source === 'sops' && !present) {
    throw new DeployError(`objectStorage.credentials.source is sops but ${folder} has no ${SOPS_SECRET_FILE} (stale build?): ${rebuild}`);
  }
  if (source !== 'sops' && present) {
    throw new DeployError(`${file} exists but objectStorage.credentials.source is ${source ?? 'not set'} (stale build?): ${rebuild}`);
  }
  if (!present) return undefined;
  const original = valuesDir === undefined ? undefined : sopsFilePath(valuesDir, values);
  if (original !== undefined && existsSync(original) && !readFileSync(original).equals(readFileSync(file))) {
    throw new DeployError(`${file} differs from ${original} (re-encrypted or rotated since the build?): ${rebuild}`);
  }
  return file;
}
