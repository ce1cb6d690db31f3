import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type StackValues, targetDir } from '../values';
import { DeployError } from './errors';

/** File names in a target folder (the dist layout contract); their order is the apply order. */
export const TargetFiles = {
  OPERATOR: '0000-operator.k8s.yaml',
  CLUSTER: '0001-cluster.k8s.yaml',
  PROVISIONING: '0002-provisioning.k8s.yaml',
} as const;

/** One synthesized target, ready to be previewed or promoted. */
export interface DeployTarget {
  readonly values: StackValues;
  /** `<dist>/<environment>/<provider>`. */
  readonly folder: string;
  /** Operator delivery (namespace, CRDs, chart objects | Argo CD Application | Flux objects). */
  readonly operatorFile: string;
  /** The RestateCluster. */
  readonly clusterFile: string;
  /** The in-cluster provisioning step; only with `provisioning.automated`. */
  readonly provisioningFile?: string;
}

/**
 * Locates the synthesized files of a target and checks that they match its values: all present, and the
 * provisioning file there exactly when automated provisioning is on (anything else means a stale build).
 */
export function locateTarget(dist: string, values: StackValues): DeployTarget {
  const folder = join(dist, targetDir(values));
  const rebuild = `run \`mise run deploy:build --environment ${values.environment} --provider ${values.provider}\` first`;
  if (!existsSync(folder)) throw new DeployError(`${folder} does not exist: ${rebuild}`);

  const file = (name: string) => join(folder, name);
  for (const name of [TargetFiles.OPERATOR, TargetFiles.CLUSTER]) {
    if (!existsSync(file(name))) throw new DeployError(`${file(name)} is missing: ${rebuild}`);
  }
  const provisioningFile = file(TargetFiles.PROVISIONING);
  const hasProvisioning = existsSync(provisioningFile);
  if (values.provisioning.automated && !hasProvisioning) {
    throw new DeployError(`provisioning.automated is true but ${provisioningFile} is missing (stale build?): ${rebuild}`);
  }
  if (!values.provisioning.automated && hasProvisioning) {
    throw new DeployError(`provisioning.automated is false but ${provisioningFile} exists (stale build?): ${rebuild}`);
  }
  return {
    values,
    folder,
    operatorFile: file(TargetFiles.OPERATOR),
    clusterFile: file(TargetFiles.CLUSTER),
    provisioningFile: values.provisioning.automated ? provisioningFile : undefined,
  };
}

/** The target's files in the order promote applies them. */
export function promoteOrder(target: DeployTarget): string[] {
  return [target.operatorFile, target.clusterFile, ...(target.provisioningFile ? [target.provisioningFile] : [])];
}
