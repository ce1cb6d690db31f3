/**
 * Names of the files in a synthesized target folder that more than one part of the stack reads or writes
 * (synth, deploy, verify). Kept here, free of heavy imports, so the deploy and verify entry points can use them
 * without loading cdk8s.
 */

/** The RestateCluster. */
export const CLUSTER_FILE = '0001-cluster.k8s.yaml';

/** The SOPS-encrypted credentials Secret, copied byte for byte; its name sorts it right after the cluster file. */
export const SOPS_SECRET_FILE = '0001-cluster.secret.sops.yaml';
