/**
 * The operator's part (lib/operator-part/) on a real API server, one control plane for the file: for each target
 * shipped in dist/, its RestateCluster applied over the restate.dev CRDs of its operator version, the objects the
 * part derives written through the API as `restate-operator`, and then what the real server and controllers did with
 * them: every object accepted (schema and validation), the StatefulSet controller's pods and claims, the
 * endpointslice controller's slices, and the Ready condition following the StatefulSet's status. No kubelet runs:
 * pods stay unbound until the kubelet stand-in (./kubelet-stand-in.ts) writes them Running and Ready.
 *
 * Each cluster is applied under a name of its own (`<name>-<provider>`): dev and prod ship two targets each under one
 * name, and a namespace takes the cluster's name.
 */
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import type { Manifest, RestateClusterObject } from '../../lib/operator-part/manifest';
import { operatorObjects } from '../../lib/operator-part/objects';
import { CLUSTER_FINALIZER, type Kubectl, OPERATOR_MANAGER, reconcileCluster, reconcileClusters } from '../../lib/operator-part/reconcile';
import { NAME_CONFLICT } from '../../lib/operator-part/status';
import type { OperatorVersion } from '../../lib/values';
import { shippedClusters } from '../support/shipped-clusters';
import { lostFields } from './fields';
import { type ControlPlane, startControlPlane } from './harness';
import { type CrdObject, installCrds } from './install-crds';
import { kubeletPass } from './kubelet-stand-in';

const shipped = shippedClusters()
  .map((s) => ({
    ...s,
    cluster: { ...s.cluster, metadata: { ...s.cluster.metadata, name: `${s.cluster.metadata.name}-${s.target.split('/')[1]}` } },
  }))
  // the 1.7.4 targets first, then the CRDs move to 2.8.1 once, as an upgrade does
  .sort((a, b) => a.version.localeCompare(b.version) || a.target.localeCompare(b.target));

/** Quantities as the server writes them back (`5Gi`), in bytes. */
function bytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) throw new Error(`not a whole quantity: ${quantity}`);
  const scale: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? scale[match[2]] : 1);
}

describe("the operator's part on a real API server", () => {
  let cp: ControlPlane;
  let kubectl: Kubectl;
  let crds: OperatorVersion | undefined;
  const versionOf = new Map<string, OperatorVersion>();

  const get = async (args: string[]): Promise<Manifest> => JSON.parse((await cp.kubectl([...args, '-o', 'json'])).stdout);
  const options = {
    version: (c: RestateClusterObject) => versionOf.get(c.metadata.name) ?? '1.7.4',
    provision: async (c: RestateClusterObject) => {
      provisioned.push(c.metadata.name);
    },
  };
  /** One reconcile of the cluster `name`, as the operator makes on an event of it. */
  const pass = async (name: string) =>
    reconcileCluster(kubectl, (await get(['get', 'restatecluster', name])) as RestateClusterObject, options);
  const provisioned: string[] = [];

  /** Polls `read` until `done` holds of it; the failure names what was awaited and what was last seen. */
  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let value = await read();
    while (!done(value)) {
      if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; last seen: ${JSON.stringify(value).slice(0, 800)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      value = await read();
    }
    return value;
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    kubectl = (args, options) => cp.kubectl(args, options);
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  for (const { target, cluster: shippedCluster, version } of shipped) {
    test(`${target} (operator ${version}): the server accepts every object, the controllers make pods, claims and slices, Ready follows`, async () => {
      // GIVEN the restate.dev CRDs of the target's operator version, and its RestateCluster applied as deploy applies it
      if (crds !== version) {
        await installCrds(cp, (version === '2.8.1' ? restate281 : restate174) as readonly CrdObject[]);
        crds = version;
      }
      const name = shippedCluster.metadata.name;
      versionOf.set(name, version);
      await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], { input: JSON.stringify(shippedCluster) });
      const cluster = (await get(['get', 'restatecluster', name])) as RestateClusterObject;
      const expected = operatorObjects(cluster, version);
      const replicas: number = cluster.spec.compute.replicas;

      // WHEN the operator's part reconciles
      // (the first target through the pass over every RestateCluster; the later ones each on its own, as an event of it)
      const first = target === shipped[0].target ? (await reconcileClusters(kubectl, options))[0] : (await pass(name))!;
      expect(first.name).toBe(name);

      // THEN the server took every derived object as written (a refused field fails the apply)
      expect(first.applied.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
        expected.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
      );
      // AND each is managed by restate-operator, owned by the cluster
      const kinds = 'networkpolicies,serviceaccounts,configmaps,services,poddisruptionbudgets,statefulsets';
      const live = [
        await get(['get', 'namespace', name, '--show-managed-fields']),
        ...(await get(['-n', name, 'get', kinds, '--show-managed-fields'])).items,
      ] as Manifest[];
      for (const o of expected) {
        const found = live.find((l) => l.kind === o.kind && l.metadata.name === o.metadata.name)!;
        // (the controllers own the status they write: the disruption controller the PDB's)
        const appliers = found.metadata.managedFields.filter((f: Manifest) => f.subresource !== 'status');
        expect([o.kind, appliers.map((f: Manifest) => [f.manager, f.operation])]).toEqual([o.kind, [[OPERATOR_MANAGER, 'Apply']]]);
        expect(found.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'RestateCluster', name, uid: cluster.metadata.uid, controller: true }),
        ]);
      }
      // AND holds every field as written: only the claim template's size comes back in the server's canonical unit
      const lost = expected.flatMap((o) =>
        lostFields(o, live.find((l) => l.kind === o.kind && l.metadata.name === o.metadata.name) ?? null).map(
          (f) => `${o.kind}/${o.metadata.name}: ${f}`,
        ),
      );
      const size = 'StatefulSet/restate: spec.volumeClaimTemplates[0].spec.resources.requests.storage';
      expect(lost.filter((f) => !f.startsWith(size))).toEqual([]);
      const liveSts = live.find((l) => l.kind === 'StatefulSet')!;
      expect(bytes(liveSts.spec.volumeClaimTemplates[0].spec.resources.requests.storage)).toBe(cluster.spec.storage.storageRequestBytes);
      // AND the cluster carries the operator's finalizer, and its status is the fresh StatefulSet's (0 replicas yet), or
      // at 2.8.1 with autoProvision the wait for restate-0 to run, which comes first (compute.rs:970-1008 @2.8.1)
      const autoProvision = version === '2.8.1' && cluster.spec.cluster?.autoProvision === true;
      const waitingToProvision = {
        reason: 'ProvisioningPodNotRunning',
        message: 'Waiting for restate-0 pod to be Running before provisioning',
      };
      const afterFirst = await get(['get', 'restatecluster', name]);
      expect(afterFirst.metadata.finalizers).toEqual([CLUSTER_FINALIZER]);
      expect(afterFirst.status.conditions).toEqual([
        expect.objectContaining({
          type: 'Ready',
          status: 'False',
          ...(autoProvision
            ? waitingToProvision
            : {
                reason: 'StatefulSetScaling',
                message: `StatefulSet has 0 replicas instead of the expected ${replicas}; it may be scaling up or down`,
              }),
        }),
      ]);

      // AND the real StatefulSet controller made pods restate-0..N-1 at once (Parallel) with the template's labels and env
      const sts = expected.find((o) => o.kind === 'StatefulSet')!;
      const template = sts.spec.template;
      // (one read of what the controllers made, polled until the pods, both Services' slices and the StatefulSet's
      // count of its pods are there)
      const made = await until(
        `${replicas} pods, EndpointSlices of services restate and restate-cluster, statefulset restate counting ${replicas} in ${name}`,
        async () => (await get(['-n', name, 'get', 'pods,pvc,endpointslices,statefulsets'])).items as Manifest[],
        (items) =>
          items.filter((o) => o.kind === 'Pod').length === replicas &&
          ['restate', 'restate-cluster'].every((svc) =>
            items.some((o) => o.kind === 'EndpointSlice' && o.metadata.labels['kubernetes.io/service-name'] === svc),
          ) &&
          items.some((o) => o.kind === 'StatefulSet' && o.status?.replicas === replicas),
      );
      const pods = made.filter((o) => o.kind === 'Pod');
      expect(pods.map((p) => p.metadata.name).sort()).toEqual(Array.from({ length: replicas }, (_, i) => `restate-${i}`));
      for (const pod of pods) {
        expect(pod.metadata.labels).toMatchObject(template.metadata.labels);
        const env = pod.spec.containers[0].env.map((e: Manifest) =>
          e.valueFrom?.fieldRef ? { ...e, valueFrom: { fieldRef: { fieldPath: e.valueFrom.fieldRef.fieldPath } } } : e,
        );
        expect(env).toEqual(template.spec.containers[0].env);
        expect(pod.spec.volumes[0]).toEqual({ name: 'storage', persistentVolumeClaim: { claimName: `storage-${pod.metadata.name}` } });
      }
      // AND one claim per pod from the claim template: its class, its size (written back in the server's unit), Pending
      // with no provisioner behind the class
      const claims = made.filter((o) => o.kind === 'PersistentVolumeClaim');
      expect(claims.map((c) => c.metadata.name).sort()).toEqual(pods.map((p) => `storage-${p.metadata.name}`).sort());
      const claimTemplate = sts.spec.volumeClaimTemplates[0];
      for (const claim of claims) {
        expect(claim.metadata.labels).toMatchObject(claimTemplate.metadata.labels);
        expect(claim.spec.storageClassName).toBe(claimTemplate.spec.storageClassName);
        expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
        expect(bytes(claim.spec.resources.requests.storage)).toBe(cluster.spec.storage.storageRequestBytes);
        expect(claim.status.phase).toBe('Pending');
      }
      // AND the endpointslice controller made a slice per Service, with no address while no pod has an IP
      const slices = made.filter((o) => o.kind === 'EndpointSlice');
      for (const slice of slices) {
        expect(slice.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
        expect(slice.endpoints ?? []).toEqual([]);
      }

      // WHEN the part reconciles again, the StatefulSet controller having counted its pods
      await pass(name);
      // THEN the condition says the pods are not ready, as the StatefulSet's status has it
      expect((await get(['get', 'restatecluster', name])).status.conditions[0]).toMatchObject({
        status: 'False',
        ...(autoProvision
          ? waitingToProvision
          : {
              reason: 'StatefulSetPodNotReady',
              message: `StatefulSet has 0 ready replicas instead of the expected ${replicas}; a pod may not be ready`,
            }),
      });

      // WHEN the kubelet stand-in writes the pods Running and Ready and the controller counts them ready
      await kubeletPass(cp, { ready: (pod) => pod.metadata.namespace === name });
      await until(
        `statefulset ${name}/restate readyReplicas = ${replicas}`,
        () => get(['-n', name, 'get', 'statefulset', 'restate']),
        (s) => s.status?.readyReplicas === replicas,
      );
      if (autoProvision) {
        // THEN (2.8.1, autoProvision) the first pass provisions through the hook and marks the cluster provisioned
        await pass(name);
        expect(provisioned).toContain(name);
        const status = (await get(['get', 'restatecluster', name])).status;
        expect([status.provisioned, status.conditions[0].reason, status.conditions[0].status]).toEqual([true, 'Provisioned', 'False']);
      }
      await pass(name);
      // THEN the cluster is Ready as the operator of that version words it
      const ready = (await get(['get', 'restatecluster', name])).status.conditions[0];
      expect([ready.status, ready.reason]).toEqual(['True', version === '2.8.1' ? 'Reconciled' : 'Provisioned']);
    }, 60_000);
  }

  test('a namespace the cluster does not own: 1.7.4 stops at NameConflict, 2.8.1 uses it as it is', async () => {
    // GIVEN a namespace made by someone else, and a cluster of that name (the last shipped target's spec)
    const base = shipped[shipped.length - 1].cluster;
    for (const version of ['1.7.4', '2.8.1'] as const) {
      const name = `taken-${version.replace(/\./g, '')}`;
      await cp.kubectl(['create', 'namespace', name]);
      versionOf.set(name, version);
      await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], {
        input: JSON.stringify({ ...base, metadata: { name } }),
      });
      // WHEN the part reconciles under each version
      await pass(name);
      const status = (await get(['get', 'restatecluster', name])).status.conditions[0];
      const objects = (await get(['-n', name, 'get', 'statefulsets,services,configmaps'])).items as Manifest[];
      const namespace = await get(['get', 'namespace', name]);
      if (version === '1.7.4') {
        // THEN 1.7.4 writes nothing in it and reports the error's text (controller.rs:171-181, lib.rs:19-20)
        expect([status.status, status.reason, status.message]).toEqual(['Unknown', 'FailedReconcile', NAME_CONFLICT]);
        expect(objects.filter((o) => o.metadata.name !== 'kube-root-ca.crt')).toEqual([]);
      } else {
        // THEN 2.8.1 writes its objects into it and leaves the namespace unowned (controller.rs:182-214 @2.8.1)
        expect(status.reason).not.toBe('FailedReconcile');
        expect(objects.some((o) => o.kind === 'StatefulSet')).toBe(true);
        expect(namespace.metadata.ownerReferences).toBeUndefined();
      }
    }
  }, 60_000);
});
