/**
 * How a target deploys restate-operator, read from its `0000-operator.k8s.yaml`: the chart version (the operator's),
 * the release namespace and the environment the chart's Deployment gives the container. What verify's
 * `--operator-bin` runs the binary with (./operator-binary.ts); test/support/operator-objects.ts reads the same for
 * the recorder (its copy predates this one; they agree field by field).
 *
 * Facts from restatedev/restate-operator (tags v1.7.4 and v2.8.1), read there, not copied:
 * - charts/restate-operator-helm/templates/deployment.yaml: the container has no `args`; its env is RUST_LOG
 *   (`logging.env_filter`), OPERATOR_NAMESPACE (the pod's namespace), OPERATOR_LABEL_NAME `app`, OPERATOR_LABEL_VALUE
 *   (the pod's label `app`, the chart name override `restate-operator`), then, when set,
 *   AWS_POD_IDENTITY_ASSOCIATION_CLUSTER, and at v2.8.1 GCP_WORKLOAD_IDENTITY, CANARY_IMAGE and CLUSTER_DNS; then `env`.
 * - values.yaml: `logging.env_filter` is `info,restate=debug`; the optional values are unset.
 * - src/main.rs: each flag of the binary also reads an environment variable (clap `env = …`); the set differs by version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readOperatorRelease } from '../target-folder/operator-release';
import { VerifyError } from './errors';

// biome-ignore lint/suspicious/noExplicitAny: manifests as parsed
type Obj = any;

/**
 * The environment variable each flag of the binary reads, per operator version (src/main.rs `Arguments`): a binary
 * whose `--help` lists another set is not the version it is said to be.
 */
export const FLAG_ENV: Readonly<Record<string, readonly string[]>> = {
  '1.7.4': ['AWS_POD_IDENTITY_ASSOCIATION_CLUSTER', 'OPERATOR_NAMESPACE', 'OPERATOR_LABEL_NAME', 'OPERATOR_LABEL_VALUE'],
  '2.8.1': [
    'AWS_POD_IDENTITY_ASSOCIATION_CLUSTER',
    'GCP_WORKLOAD_IDENTITY',
    'OPERATOR_NAMESPACE',
    'OPERATOR_LABEL_NAME',
    'OPERATOR_LABEL_VALUE',
    'OPERATOR_TUNNEL_CLIENT_DEFAULT_IMAGE',
    'CLUSTER_DNS',
    'CANARY_IMAGE',
  ],
};

/** How a target deploys its operator. */
export interface OperatorChart {
  /** The chart's version, which is the operator's. */
  readonly version: string;
  /** The version of the restate.dev CRDs installed (the CRDs chart's, else the operator's). */
  readonly crdsVersion: string;
  /** The release namespace: the pod's namespace, so OPERATOR_NAMESPACE. */
  readonly namespace: string;
  /** The chart values the target sets (Argo CD `valuesObject`, Flux HelmRelease `values`). */
  readonly values: Readonly<Record<string, unknown>>;
  /** The container's environment as the chart's Deployment gives it. */
  readonly env: Readonly<Record<string, string>>;
}

const isRecord = (value: unknown): value is Record<string, Obj> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a target folder's operator file; one this does not understand is a VerifyError naming it. */
export function operatorChart(targetDir: string): OperatorChart {
  const file = join(targetDir, '0000-operator.k8s.yaml');
  const text = readFileSync(file, 'utf8');
  const release = readOperatorRelease(text);
  if (!release.operatorVersion) throw new VerifyError(`${file}: names no restate-operator-helm chart version`);
  let namespace: string | undefined;
  let values: Record<string, Obj> = {};
  for (const object of parseAllDocuments(text).map((doc) => doc.toJSON() as Obj)) {
    if (!isRecord(object) || !isRecord(object.spec)) continue;
    const spec = object.spec;
    if (object.kind === 'Application' && spec.source?.chart === 'restate-operator-helm') {
      namespace = spec.destination?.namespace;
      values = spec.source.helm?.valuesObject ?? {};
    }
    if (object.kind === 'HelmRelease') {
      namespace = spec.targetNamespace ?? object.metadata?.namespace;
      values = spec.values ?? {};
    }
  }
  if (!namespace) throw new VerifyError(`${file}: no Argo CD Application or Flux HelmRelease of the operator chart with a namespace`);
  return {
    version: release.operatorVersion,
    crdsVersion: release.crdsVersion ?? release.operatorVersion,
    namespace,
    values,
    env: chartEnv(release.operatorVersion, namespace, values),
  };
}

/** The container env of the chart's Deployment at `version` (templates/deployment.yaml, defaults from values.yaml). */
export function chartEnv(version: string, namespace: string, values: Readonly<Record<string, Obj>>): Record<string, string> {
  const logging = isRecord(values.logging) ? values.logging : {};
  const env: Record<string, string> = {
    RUST_LOG: String(logging.env_filter ?? 'info,restate=debug'),
    OPERATOR_NAMESPACE: namespace,
    OPERATOR_LABEL_NAME: 'app',
    OPERATOR_LABEL_VALUE: String(values.nameOverride ?? 'restate-operator'),
  };
  if (values.awsPodIdentityAssociationCluster) env.AWS_POD_IDENTITY_ASSOCIATION_CLUSTER = String(values.awsPodIdentityAssociationCluster);
  if (version !== '1.7.4') {
    if (values.gcpWorkloadIdentity) env.GCP_WORKLOAD_IDENTITY = 'true';
    if (values.canaryImage) env.CANARY_IMAGE = String(values.canaryImage);
    if (values.clusterDns) env.CLUSTER_DNS = String(values.clusterDns);
  }
  for (const entry of Array.isArray(values.env) ? values.env : []) {
    if (isRecord(entry) && typeof entry.name === 'string' && typeof entry.value === 'string') env[entry.name] = entry.value;
  }
  return env;
}
