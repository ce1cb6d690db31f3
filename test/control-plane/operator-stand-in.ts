/**
 * Stand-in for the restate-operator's RestateCluster controller: the objects it creates through the API and its
 * `Ready` condition, with no operator process.
 *
 * Derived from restatedev/restate-operator at tag v1.7.4, `src/controllers/restatecluster/`:
 * - controller.rs `reconcile`: a namespace named after the cluster, owned by it (a namespace that exists without that
 *   owner is a NameConflict and nothing else is made); `reconcile_status`: the `Ready` condition written with
 *   server-side apply under field manager `restate-operator` (True "Provisioned", False with the NotReady reason).
 * - reconcilers/compute.rs `restate_service_account` (ServiceAccount `restate`), `restate_statefulset` (StatefulSet
 *   `restate`: the cluster's pod labels, serviceName `restate-cluster`, image, ports 8080/9070/5122, readiness
 *   probe /health on 9070, service account `restate`, podManagementPolicy Parallel, claim template `storage`) and
 *   `validate_stateful_set_status` (Ready once the StatefulSet's replicas and readyReplicas equal spec.replicas).
 * The RestateCluster is read with verify's reading of it (lib/verify/cluster-spec.ts); the names come from
 * lib/target-folder/operator-names.ts, which both share.
 *
 * Left unproven: the ConfigMap with config.toml, the Services, the PodDisruptionBudget, the NetworkPolicies, the
 * signing key, the container env (lib/verify/operator-env.ts models it), the cloud identity objects, storage resizing,
 * provisioning (operator 2.8.1's autoProvision), and every error path but NameConflict.
 */
import { parseClusterManifest } from '../../lib/verify/cluster-spec';
import {
  ADMIN_PORT,
  clusterPodLabels,
  FABRIC_PORT,
  HEADLESS_SERVICE,
  INGRESS_PORT,
  STATEFULSET,
} from '../../lib/target-folder/operator-names';
import { READINESS } from '../../lib/verify/cluster-service';
import type { ControlPlane } from './harness';
import type { Obj } from './target-cluster';

/** The operator's field manager (controller.rs, compute.rs: `PatchParams::apply("restate-operator").force()`). */
export const OPERATOR_MANAGER = 'restate-operator';

const apply = (cp: ControlPlane, object: Obj, subresource?: string) =>
  cp.kubectl(
    [
      'apply',
      '--server-side',
      `--field-manager=${OPERATOR_MANAGER}`,
      '--force-conflicts',
      ...(subresource ? [`--subresource=${subresource}`] : []),
      '-f',
      '-',
    ],
    { input: JSON.stringify(object) },
  );

/** The StatefulSet `restate` the operator makes for a RestateCluster (compute.rs `restate_statefulset`). */
export function operatorStatefulSet(cluster: Obj): Obj {
  const spec = parseClusterManifest(JSON.stringify(cluster), `RestateCluster ${cluster.metadata.name}`);
  const labels = clusterPodLabels(spec.name);
  const compute = cluster.spec.compute;
  const storage = cluster.spec.storage ?? {};
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: STATEFULSET, namespace: spec.name, labels, ownerReferences: [ownerOf(cluster)] },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: labels },
      serviceName: HEADLESS_SERVICE,
      podManagementPolicy: 'Parallel',
      template: {
        metadata: { labels },
        spec: {
          ...(compute.affinity ? { affinity: compute.affinity } : {}),
          automountServiceAccountToken: false,
          serviceAccountName: 'restate',
          terminationGracePeriodSeconds: 60,
          containers: [
            {
              name: 'restate',
              image: spec.image,
              ports: [
                { name: 'ingress', containerPort: INGRESS_PORT },
                { name: 'admin', containerPort: ADMIN_PORT },
                { name: 'metrics', containerPort: FABRIC_PORT },
              ],
              readinessProbe: { httpGet: { port: READINESS.port, path: READINESS.path } },
              ...(compute.resources ? { resources: compute.resources } : {}),
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'storage', labels },
          spec: {
            ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: String(storage.storageRequestBytes ?? 1) } },
          },
        },
      ],
    },
  };
}

function ownerOf(cluster: Obj): Obj {
  return {
    apiVersion: cluster.apiVersion,
    kind: cluster.kind,
    name: cluster.metadata.name,
    uid: cluster.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The `Ready` condition for a StatefulSet status (compute.rs `validate_stateful_set_status`). */
export function readyCondition(statefulSet: Obj | undefined, expected: number): { status: string; reason: string; message: string } {
  const status = statefulSet?.status;
  if (!status)
    return { status: 'False', reason: 'StatefulSetNoStatus', message: 'StatefulSet has no status set; it may have just been created' };
  if (status.replicas !== expected)
    return {
      status: 'False',
      reason: 'StatefulSetScaling',
      message: `StatefulSet has ${status.replicas} replicas instead of the expected ${expected}`,
    };
  if ((status.readyReplicas ?? 0) !== expected)
    return {
      status: 'False',
      reason: 'StatefulSetPodNotReady',
      message: `StatefulSet has ${status.readyReplicas ?? 0} ready replicas instead of the expected ${expected}; a pod may not be ready`,
    };
  return { status: 'True', reason: 'Provisioned', message: 'Restate Cluster provisioned successfully' };
}

/** One reconcile of every RestateCluster, as the operator would make it on an event. */
export async function operatorPass(cp: ControlPlane): Promise<void> {
  const listed = await cp.kubectl(['get', 'restateclusters', '-o', 'json'], { check: false });
  if (listed.code !== 0) return; // the CRD is not served yet: the operator would not be running either
  for (const cluster of JSON.parse(listed.stdout).items as Obj[]) {
    if (cluster.metadata.deletionTimestamp) continue;
    const name = cluster.metadata.name;
    const ns = await cp.kubectl(['get', 'namespace', name, '-o', 'json'], { check: false });
    const owned = ns.code !== 0 || (JSON.parse(ns.stdout).metadata.ownerReferences ?? []).some((o: Obj) => o.uid === cluster.metadata.uid);
    let condition: { status: string; reason: string; message: string };
    if (!owned) {
      condition = { status: 'Unknown', reason: 'FailedReconcile', message: 'NameConflict' };
    } else {
      await apply(cp, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: clusterPodLabels(name), ownerReferences: [ownerOf(cluster)] },
      });
      await apply(cp, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'restate', namespace: name, labels: clusterPodLabels(name), ownerReferences: [ownerOf(cluster)] },
      });
      await apply(cp, operatorStatefulSet(cluster));
      const sts = await cp.kubectl(['-n', name, 'get', `statefulset/${STATEFULSET}`, '-o', 'json'], { check: false });
      condition = readyCondition(sts.code === 0 ? JSON.parse(sts.stdout) : undefined, cluster.spec.compute.replicas ?? 1);
    }
    const before = (cluster.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
    if (before?.status === condition.status && before?.reason === condition.reason) continue;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await apply(
      cp,
      {
        apiVersion: cluster.apiVersion,
        kind: cluster.kind,
        metadata: { name },
        status: { conditions: [{ type: 'Ready', ...condition, lastTransitionTime: now }] },
      },
      'status',
    );
  }
}
