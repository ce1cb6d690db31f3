import { basename } from 'node:path';
import { provisioningNames } from '../stack/provisioning/names';
import { drainNames } from '../stack/day-two/drain-names';
import type { DeployTarget } from './target';
import { type CredentialsSecret, credentialsSecret } from './credentials';
import type { ReadyTarget } from './rollout';
import {
  clusterNamespaceWait,
  clusterPodWaits,
  drainJobWait,
  operatorWaits,
  provisioningJobWait,
  STORAGE_CLAIM_PREFIX,
  type Wait,
} from './waits';

/** One step of promote. Pure data: `plan.ts` decides, `promote.ts` does. */
export type PromoteAction =
  | { readonly kind: 'apply'; readonly file: string; readonly description: string }
  | ({ readonly kind: 'wait' } & Wait)
  | { readonly kind: 'delete'; readonly namespace: string; readonly object: string; readonly description: string }
  | { readonly kind: 'provision' }
  /** Every partition led and every pod a metadata member (provision.sh --wait-serving in restate-0): after the rollout. */
  | { readonly kind: 'serving' }
  | { readonly kind: 'note'; readonly text: string }
  | { readonly kind: 'job'; readonly namespace: string; readonly job: string; readonly wait: Wait }
  /** The object storage credentials Secret: decrypt and apply `file` (sops), or check the user's Secret. */
  | { readonly kind: 'credentials'; readonly secret: CredentialsSecret; readonly file?: string }
  /** The RestateCluster Ready and its StatefulSet rolled out to the applied spec, with progress (rollout.ts). */
  | ({ readonly kind: 'ready' } & ReadyTarget);

/**
 * The steps of promote, in order: operator, its CRDs and Deployment; the RestateCluster, its namespace, the
 * object storage credentials Secret (which the pods need to start, and which can only exist once the operator
 * has created the namespace), the pods;
 * provisioning (the in-cluster Job, nothing when the cluster auto-provisions, else the exec step); the
 * RestateCluster Ready and its StatefulSet rolled out; then the target's other files (add-ons such as monitoring), in file order.
 */
export function promotePlan(target: DeployTarget): PromoteAction[] {
  const { values } = target;
  const operatorNamespace = values.operator.namespace;
  const actions: PromoteAction[] = [
    { kind: 'apply', file: target.operatorFile, description: `operator (${values.operator.delivery} delivery)` },
    ...operatorWaits({
      delivery: values.operator.delivery,
      operatorNamespace,
      argocdNamespace: values.operator.argocd.namespace,
      fluxNamespace: values.operator.flux.namespace,
    }).map((wait) => ({ kind: 'wait' as const, ...wait })),
    { kind: 'apply', file: target.clusterFile, description: `RestateCluster ${values.clusterName}` },
    { kind: 'wait', ...clusterNamespaceWait({ clusterName: values.clusterName, operatorNamespace }) },
  ];
  const secret = credentialsSecret(values);
  if (secret) {
    actions.push({ kind: 'credentials', secret, ...(secret.source === 'sops' ? { file: target.secretFile } : {}) });
  } else if (values.objectStorage?.credentials?.source === 'workload-identity') {
    actions.push({
      kind: 'note',
      text: "no credentials Secret: object storage access comes from workload identity (the pods' service account)",
    });
  }
  actions.push(
    ...clusterPodWaits({
      clusterName: values.clusterName,
      replicas: values.replicas,
      image: values.image,
      storageClassName: values.storage.storageClassName,
      operatorNamespace,
      credentialsSecret: secret?.requiredByPods ? secret.name : undefined,
    }).map((wait) => ({ kind: 'wait' as const, ...wait })),
  );

  if (target.provisioningFile) {
    const { job } = provisioningNames(values.clusterName);
    // A Job's pod template is immutable and a finished Job never runs again: delete the previous run (if its
    // TTL has not removed it yet) so that the apply creates a fresh one. Provisioning is idempotent.
    actions.push(
      {
        kind: 'delete',
        namespace: operatorNamespace,
        object: `job/${job}`,
        description: `previous provisioning Job ${operatorNamespace}/${job}`,
      },
      { kind: 'apply', file: target.provisioningFile, description: `provisioning Job ${operatorNamespace}/${job}` },
      { kind: 'job', namespace: operatorNamespace, job, wait: provisioningJobWait(operatorNamespace, job) },
    );
  } else if (target.operatorProvisions) {
    // The operator provisions once restate-0 runs; the pods turn Ready only after that, which `ready` waits for.
    actions.push({ kind: 'note', text: 'no provisioning step: the operator provisions the cluster (spec.cluster.autoProvision)' });
  } else if (target.autoProvision) {
    actions.push({ kind: 'note', text: 'no provisioning step: the cluster provisions itself (auto-provision = true in its config)' });
  } else {
    actions.push({ kind: 'provision' });
  }

  actions.push({ kind: 'ready', clusterName: values.clusterName, replicas: values.replicas, image: values.image, operatorNamespace });
  // Ready is the pods' /health, which answers long before the partitions have leaders (operator 1.7.4 sets no
  // initial delay): gate on partition health. Object-store metadata clusters are not exec-checked here either.
  if (!target.autoProvision) actions.push({ kind: 'serving' });
  const drain = values.scaleIn ? drainNames(values.clusterName, values.scaleIn).job : undefined;
  if (drain) {
    // The drain Job's pod template is immutable: a previous run (kept for a day) must go before the apply.
    actions.push({
      kind: 'delete',
      namespace: operatorNamespace,
      object: `job/${drain}`,
      description: `previous drain Job ${operatorNamespace}/${drain}`,
    });
  }
  for (const file of target.otherFiles)
    actions.push({ kind: 'apply', file, description: basename(file, '.k8s.yaml').replace(/^\d{4}-/, '') });
  if (drain && values.scaleIn && values.replicas === values.scaleIn.from) {
    actions.push(
      { kind: 'job', namespace: operatorNamespace, job: drain, wait: drainJobWait(operatorNamespace, drain, values.scaleIn) },
      { kind: 'note', text: `drained; next: commit replicas: ${values.scaleIn.to} (scaleIn stays set) and promote again` },
    );
  }
  if (values.scaleIn && values.replicas === values.scaleIn.to) {
    // The operator sets no PVC retention policy: the removed pods' claims stay, and a later scale-up onto one
    // crash-loops ("storage marker … created by another node"). Deleted with the user's own kubectl rights.
    for (let ordinal = values.scaleIn.to; ordinal < values.scaleIn.from; ordinal++) {
      const pvc = `${STORAGE_CLAIM_PREFIX}${ordinal}`;
      actions.push({
        kind: 'delete',
        namespace: values.clusterName,
        object: `pvc/${pvc}`,
        description: `PersistentVolumeClaim ${values.clusterName}/${pvc} of the removed pod restate-${ordinal}`,
      });
    }
  }
  return actions;
}
