/**
 * The operator on a real API server, one control plane for the file: for each target shipped in dist/, its
 * RestateCluster applied over the restate.dev CRDs of its operator version, and what the operator writes through the
 * API as `restate-operator` (by default the operator's part, lib/operator-part/), then what the real server and
 * controllers did with it: every object accepted (schema and validation) and holding every field the part derives,
 * the StatefulSet controller's pods and claims, the endpointslice controller's slices, the claims bound to volumes by
 * the real PV binder (volumes made by ./volume-stand-in.ts), and the Ready condition following the claims and the
 * StatefulSet's status. No kubelet runs: pods stay unscheduled, and the kubelet stand-in (./kubelet-stand-in.ts)
 * writes them Running and Ready.
 *
 * The real operator in the part's place: with `RESTATE_OPERATOR_BIN_1_7_4` (and/or `RESTATE_OPERATOR_BIN_2_8_1`) set
 * to a binary of that tag (docs/verify.md, "The real operator"), the targets of that version run the binary
 * (./operator-binary.ts) instead, and the same checks run; each test's name says which ran. Unset (CI), the part
 * runs and the file prints one line saying the binary run was not done.
 *
 * Each cluster is applied under a name of its own (`<name>-<provider>`): dev and prod ship two targets each under one
 * name, and a namespace takes the cluster's name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import type { Manifest, RestateClusterObject } from '../../lib/operator-part/manifest';
import { operatorObjects } from '../../lib/operator-part/objects';
import { CLUSTER_FINALIZER, type Kubectl, OPERATOR_MANAGER, reconcileCluster, reconcileClusters } from '../../lib/operator-part/reconcile';
import { NAME_CONFLICT } from '../../lib/operator-part/status';
import type { OperatorVersion } from '../../lib/values';
import { operatorDeployment } from '../support/operator-objects';
import { SHIPPED_DIST, shippedClusters } from '../support/shipped-clusters';
import { lostFields } from './fields';
import { type ControlPlane, startControlPlane } from '../../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../../lib/control-plane/install-crds';
import { kubeletPass } from './kubelet-stand-in';
import { logTail, type OperatorProcess, startOperator, wrongBinary } from './operator-binary';
import { volumePass } from '../../lib/control-plane/volume-stand-in';

const shipped = shippedClusters()
  .map((s) => ({
    ...s,
    cluster: { ...s.cluster, metadata: { ...s.cluster.metadata, name: `${s.cluster.metadata.name}-${s.target.split('/')[1]}` } },
  }))
  // the 1.7.4 targets first, then the CRDs move to 2.8.1 once, as an upgrade does
  .sort((a, b) => a.version.localeCompare(b.version) || a.target.localeCompare(b.target));

/** The variable that names a real operator binary for a version; unset, lib/operator-part runs in its place. */
const BIN_VARIABLE: Readonly<Record<OperatorVersion, string>> = {
  '1.7.4': 'RESTATE_OPERATOR_BIN_1_7_4',
  '2.8.1': 'RESTATE_OPERATOR_BIN_2_8_1',
};
const binaryOf = (version: OperatorVersion): string | undefined => process.env[BIN_VARIABLE[version]] || undefined;
const runs = (version: OperatorVersion) => (binaryOf(version) ? `the real operator ${binaryOf(version)}` : 'lib/operator-part');

for (const version of [...new Set(shipped.map((s) => s.version))])
  if (!binaryOf(version))
    process.stderr.write(
      `operator-part.live: ${BIN_VARIABLE[version]} unset: the real operator ${version} did NOT run; lib/operator-part ran in its place\n`,
    );

/** Quantities as the server writes them back (`5Gi`), in bytes. */
function bytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) throw new Error(`not a whole quantity: ${quantity}`);
  const scale: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? scale[match[2]] : 1);
}

describe('the operator on a real API server', () => {
  let cp: ControlPlane;
  let kubectl: Kubectl;
  let crds: OperatorVersion | undefined;
  let binary: { version: OperatorVersion; process: OperatorProcess } | undefined;
  const logs = mkdtempSync(join(tmpdir(), 'operator-part-live-'));
  const versionOf = new Map<string, OperatorVersion>();

  const get = async (args: string[]): Promise<Manifest> => JSON.parse((await cp.kubectl([...args, '-o', 'json'])).stdout);
  const options = {
    version: (c: RestateClusterObject) => versionOf.get(c.metadata.name) ?? '1.7.4',
    provision: async (c: RestateClusterObject) => {
      // as the real call fails here (nothing serves restate-0's gRPC on :5122), until a test lets it succeed
      if (!provisionAnswers) throw new Error(`no Restate node serves restate-0.restate-cluster.${c.metadata.name}:5122 in this test`);
      provisioned.push(c.metadata.name);
    },
  };
  /** One reconcile of the cluster `name` by the part, as the operator makes on an event of it. */
  const pass = async (name: string) =>
    reconcileCluster(kubectl, (await get(['get', 'restatecluster', name])) as RestateClusterObject, options);
  const provisioned: string[] = [];
  let provisionAnswers = false;

  /**
   * What runs as the operator for `version`'s targets, started once its CRDs are installed: the real binary when its
   * variable is set (it reconciles on its own watch events), else nothing to start (the part reconciles on each poll).
   */
  async function useOperator(version: OperatorVersion): Promise<void> {
    if (crds !== version) {
      await binary?.process.stop();
      binary = undefined;
      await installCrds(cp, (version === '2.8.1' ? restate281 : restate174) as readonly CrdObject[]);
      crds = version;
    }
    const bin = binaryOf(version);
    if (!bin || binary) return;
    const wrong = await wrongBinary(cp, bin, version);
    if (wrong) throw new Error(`${BIN_VARIABLE[version]}: ${wrong}`);
    // the environment the chart's Deployment gives the container, read from the first target of the version
    const target = shipped.find((s) => s.version === version)!.target;
    const deployment = operatorDeployment(join(SHIPPED_DIST, target));
    await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack-test', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: deployment.namespace } }),
    });
    binary = { version, process: startOperator(cp, bin, deployment.env, join(logs, `operator-${version}.log`)) };
  }

  /**
   * Polls `read` until `done` holds of it; before each read the part reconciles `cluster` (when it runs: the binary
   * reconciles by itself). The failure names what was awaited and what was last seen (and the binary's log tail).
   */
  async function until<T>(what: string, cluster: string | undefined, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const timeoutMs = binary ? 120_000 : 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ended = binary?.process.ended();
      if (ended) throw new Error(`the operator binary ended (${ended}) while awaiting ${what}; its log:\n${logTail(binary!.process.log)}`);
      if (cluster && !binary) await pass(cluster);
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) {
        const log = binary ? `\noperator log tail:\n${logTail(binary.process.log, 15)}` : '';
        throw new Error(`waited ${timeoutMs} ms for ${what}; last seen: ${JSON.stringify(value).slice(0, 800)}${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The cluster's Ready condition, once it has the status and reason awaited. */
  const condition = (name: string, status: string, reason: string) =>
    until(
      `RestateCluster ${name} Ready=${status} ${reason}`,
      name,
      async () => (await get(['get', 'restatecluster', name])).status?.conditions?.[0] ?? null,
      (c) => c?.status === status && c?.reason === reason,
    );

  beforeAll(async () => {
    cp = await startControlPlane();
    kubectl = (args, options) => cp.kubectl(args, options);
  }, 120_000);

  afterAll(async () => {
    await binary?.process.stop();
    await cp?.stop();
    rmSync(logs, { recursive: true, force: true });
  }, 60_000);

  for (const { target, cluster: shippedCluster, version } of shipped) {
    // (the binary at 2.8.1 with autoProvision stops at ProvisioningFailed: no Restate node answers its gRPC call here)
    const end =
      binaryOf(version) && shippedCluster.spec.cluster?.autoProvision === true ? 'ProvisioningFailed, Ready NOT reached' : 'Ready follows';
    test(`${target} (operator ${version}, ${runs(version)}): objects accepted and whole, pods, claims bound by the PV binder, ${end}`, async () => {
      // GIVEN the restate.dev CRDs of the target's operator version (and the binary of it, when given running), and its
      // RestateCluster applied as deploy applies it
      await useOperator(version);
      const name = shippedCluster.metadata.name;
      versionOf.set(name, version);
      await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], { input: JSON.stringify(shippedCluster) });
      const cluster = (await get(['get', 'restatecluster', name])) as RestateClusterObject;
      const expected = operatorObjects(cluster, version);
      const replicas: number = cluster.spec.compute.replicas;
      const autoProvision = version === '2.8.1' && cluster.spec.cluster?.autoProvision === true;

      if (!binary) {
        // WHEN the part reconciles (the first target through the pass over every RestateCluster; the later ones each
        // on its own, as an event of it)
        const first = target === shipped[0].target ? (await reconcileClusters(kubectl, options))[0] : (await pass(name))!;
        // THEN its first reconcile, with no claim yet, applied every derived object, the StatefulSet last
        expect(first.name).toBe(name);
        expect(first.applied.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
          expected.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
        );
        // AND the status is the fresh StatefulSet's (0 replicas yet), or at 2.8.1 with autoProvision the wait for
        // restate-0 to run (compute.rs:970-1008 @2.8.1); the binary passes through this state between two reads
        expect((await get(['get', 'restatecluster', name])).status.conditions).toEqual([
          expect.objectContaining({
            type: 'Ready',
            status: 'False',
            ...(autoProvision
              ? { reason: 'ProvisioningPodNotRunning', message: 'Waiting for restate-0 pod to be Running before provisioning' }
              : {
                  reason: 'StatefulSetScaling',
                  message: `StatefulSet has 0 replicas instead of the expected ${replicas}; it may be scaling up or down`,
                }),
          }),
        ]);
      }

      // THEN every derived object is on the server, each managed by restate-operator alone, owned by the cluster
      const kinds = 'networkpolicies,serviceaccounts,configmaps,services,poddisruptionbudgets,statefulsets';
      const readLive = async () =>
        [
          await get(['get', 'namespace', name, '--show-managed-fields']),
          ...(await get(['-n', name, 'get', kinds, '--show-managed-fields'])).items,
        ] as Manifest[];
      const live = await until(`the ${expected.length} objects of ${name}`, undefined, readLive, (items) =>
        expected.every((o) => items.some((l) => l.kind === o.kind && l.metadata.name === o.metadata.name)),
      );
      for (const o of expected) {
        const found = live.find((l) => l.kind === o.kind && l.metadata.name === o.metadata.name)!;
        // (the controllers own the status they write: the disruption controller the PDB's)
        const appliers = found.metadata.managedFields.filter((f: Manifest) => f.subresource !== 'status');
        expect([o.kind, appliers.map((f: Manifest) => [f.manager, f.operation])]).toEqual([o.kind, [[OPERATOR_MANAGER, 'Apply']]]);
        expect(found.metadata.ownerReferences).toEqual([
          expect.objectContaining({ kind: 'RestateCluster', name, uid: cluster.metadata.uid, controller: true }),
        ]);
      }
      // AND holds every field the part derives: only the claim template's size comes back in the server's canonical unit
      const lost = expected.flatMap((o) =>
        lostFields(o, live.find((l) => l.kind === o.kind && l.metadata.name === o.metadata.name) ?? null).map(
          (f) => `${o.kind}/${o.metadata.name}: ${f}`,
        ),
      );
      const size = 'StatefulSet/restate: spec.volumeClaimTemplates[0].spec.resources.requests.storage';
      expect(lost.filter((f) => !f.startsWith(size))).toEqual([]);
      const liveSts = live.find((l) => l.kind === 'StatefulSet')!;
      expect(bytes(liveSts.spec.volumeClaimTemplates[0].spec.resources.requests.storage)).toBe(cluster.spec.storage.storageRequestBytes);
      // AND the cluster carries the operator's finalizer
      expect((await get(['get', 'restatecluster', name])).metadata.finalizers).toEqual([CLUSTER_FINALIZER]);

      // AND the real StatefulSet controller made pods restate-0..N-1 at once (Parallel) with the template's labels and env
      const sts = expected.find((o) => o.kind === 'StatefulSet')!;
      const template = sts.spec.template;
      // (one read of what the controllers made, polled until the pods, their claims, both Services' slices and the
      // StatefulSet's count of its pods are there)
      const made = await until(
        `${replicas} pods and claims, EndpointSlices of services restate and restate-cluster, statefulset restate counting ${replicas} in ${name}`,
        undefined,
        async () => (await get(['-n', name, 'get', 'pods,pvc,endpointslices,statefulsets', '--show-managed-fields'])).items as Manifest[],
        (items) =>
          items.filter((o) => o.kind === 'Pod').length === replicas &&
          items.filter((o) => o.kind === 'PersistentVolumeClaim').length === replicas &&
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
      // with no volume behind the class yet
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

      // WHEN the operator reconciles with the claims there and unbound
      // THEN it stops at a claim: not Ready, PersistentVolumeClaimNotBound (compute.rs:928-937; :1517-1526 @2.8.1)
      const unbound = await condition(name, 'False', 'PersistentVolumeClaimNotBound');
      expect(unbound.message).toMatch(/^PersistentVolumeClaim storage-restate-\d+ is not yet bound to a volume$/);
      // AND it applied the size to each claim it visited, as restate-operator (compute.rs:910-926)
      const patched = (await get(['-n', name, 'get', 'pvc', '--show-managed-fields'])).items as Manifest[];
      expect(
        patched.some((c) => c.metadata.managedFields.some((f: Manifest) => f.manager === OPERATOR_MANAGER && f.operation === 'Apply')),
      ).toBe(true);

      // WHEN the volume stand-in makes a volume for each claim
      const volumes = await volumePass(cp, { claims: (c) => c.metadata.namespace === name });
      expect(volumes).toHaveLength(replicas);
      // THEN the real PV binder binds each claim to its volume
      const bound = await until(
        `${replicas} claims of ${name} Bound to their volumes`,
        undefined,
        async () => (await get(['-n', name, 'get', 'pvc'])).items as Manifest[],
        (items) => items.length === replicas && items.every((c) => c.status?.phase === 'Bound'),
      );
      for (const claim of bound) {
        expect(claim.spec.volumeName).toBe(`pvc-${claim.metadata.uid}`);
        expect(claim.metadata.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
      }
      // AND the operator goes on to the StatefulSet: its pods are not ready (or, 2.8.1 autoProvision, restate-0 not
      // yet running)
      if (autoProvision) {
        const waiting = await condition(name, 'False', 'ProvisioningPodNotRunning');
        expect(waiting.message).toBe('Waiting for restate-0 pod to be Running before provisioning');
      } else {
        const notReady = await condition(name, 'False', 'StatefulSetPodNotReady');
        expect(notReady.message).toBe(`StatefulSet has 0 ready replicas instead of the expected ${replicas}; a pod may not be ready`);
      }

      // WHEN the kubelet stand-in writes the pods Running and Ready and the controller counts them ready
      await kubeletPass(cp, { ready: (pod) => pod.metadata.namespace === name });
      await until(
        `statefulset ${name}/restate readyReplicas = ${replicas}`,
        undefined,
        () => get(['-n', name, 'get', 'statefulset', 'restate']),
        (s) => s.status?.readyReplicas === replicas,
      );
      if (autoProvision) {
        // THEN (2.8.1, autoProvision) the operator calls ProvisionCluster on restate-0, which nothing serves here: not
        // Ready, ProvisioningFailed (controller.rs:299-310 @2.8.1)
        const failed = await condition(name, 'False', 'ProvisioningFailed');
        expect(failed.message).toMatch(/^Provisioning failed: /);
        if (binary) {
          // (the binary's call goes to restate-0.restate-cluster.<ns>.svc.cluster.local:5122, provisioning.rs:119 @2.8.1;
          // no Restate node serves it on this control plane, so provisioned and Ready are not reached with the binary)
          expect(failed.message).toContain(`restate-0.restate-cluster.${name}.svc.cluster.local:5122`);
          process.stderr.write(
            `operator-part.live: ${target} with the real operator ${version}: ProvisionCluster has no Restate node to answer it; ` +
              'provisioned and Ready NOT checked\n',
          );
          return;
        }
        // WHEN the call succeeds (the part's hook stands for it)
        provisionAnswers = true;
        // THEN the operator marks the cluster provisioned
        const status = await until(
          `RestateCluster ${name} status.provisioned`,
          name,
          async () => (await get(['get', 'restatecluster', name])).status,
          (s) => s?.provisioned === true,
        );
        expect(status.provisioned).toBe(true);
        if (!binary) expect(provisioned).toContain(name);
      }
      // THEN the cluster is Ready as the operator of that version words it
      await condition(name, 'True', version === '2.8.1' ? 'Reconciled' : 'Provisioned');
    }, 300_000);
  }

  test('a namespace the cluster does not own (lib/operator-part): 1.7.4 stops at NameConflict, 2.8.1 uses it as it is', async () => {
    // (the part under both versions in one run: a binary given for the targets is stopped first, as it would
    // reconcile these clusters too)
    await binary?.process.stop();
    binary = undefined;
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
