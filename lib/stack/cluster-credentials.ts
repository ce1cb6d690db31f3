import type * as restate from '../../imports/operator-1.7.4/restate.dev';
import { credentialKeys, type StackValues } from '../values';

export type EnvVar = restate.RestateClusterSpecComputeEnv;

/**
 * The config sections (as env prefixes) that talk to object storage, for the features switched on.
 * Restate reads `RESTATE_` + the key path, `__` per nesting level, `-` as `_`: env wins over config.toml.
 */
function s3Sections(values: StackValues): string[] {
  return [
    ...(values.snapshots.enabled ? ['RESTATE_WORKER__SNAPSHOTS'] : []),
    ...(values.metadata.store === 'object-store' ? ['RESTATE_METADATA_CLIENT'] : []),
  ];
}

/**
 * Env entries that hand object storage credentials to Restate from a Secret in the cluster namespace
 * (credentials.source existing-secret or sops), never as plaintext. Workload identity needs none: the pods'
 * service account carries the role instead.
 */
export function credentialEnv(values: StackValues): EnvVar[] {
  const credentials = values.objectStorage?.credentials;
  if (!credentials || credentials.source === 'workload-identity' || !credentials.secretName) return [];
  const secretName = credentials.secretName;
  const { accessKeyId, secretAccessKey } = credentialKeys(credentials);
  const keys: Array<[string, string]> = [
    ['AWS_ACCESS_KEY_ID', accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', secretAccessKey],
  ];
  return s3Sections(values).flatMap((section) =>
    keys.map(([suffix, key]) => ({ name: `${section}__${suffix}`, valueFrom: { secretKeyRef: { name: secretName, key } } })),
  );
}

/** Service account annotations for workload identity (e.g. EKS IRSA's eks.amazonaws.com/role-arn). */
export function serviceAccountAnnotations(values: StackValues): Record<string, string> | undefined {
  const credentials = values.objectStorage?.credentials;
  return credentials?.source === 'workload-identity' ? { ...credentials.serviceAccountAnnotations } : undefined;
}
