/**
 * The claims step of the operator's part (lib/operator-part/claims.ts): its pure rules, and one reconcile through
 * `reconcileCluster` over a kubectl that answers as an API server holding the cluster's claims would (the live
 * counterpart with the real PV binder is test/control-plane/operator-part.live.test.ts).
 */
import { claimPatch, claimSelector, statefulSetDeleteOptions, storageUnchanged, unboundClaim } from '../../lib/operator-part/claims';
import type { Manifest, RestateClusterObject } from '../../lib/operator-part/manifest';
import { CLUSTER_FINALIZER, type Kubectl, type KubectlResult, reconcileCluster } from '../../lib/operator-part/reconcile';
import { shippedClusters } from '../support/shipped-clusters';

const UID = '0b5d3c1e-0000-4000-8000-000000000002';
const shipped = shippedClusters();

/** A shipped cluster as the API server hands it to the operator: a uid, the finalizer on. */
function served(version: '1.7.4' | '2.8.1'): RestateClusterObject {
  const { cluster } = shipped.find((s) => s.version === version)!;
  return { ...cluster, metadata: { ...cluster.metadata, uid: UID, finalizers: [CLUSTER_FINALIZER] } };
}

/**
 * A kubectl over a small in-memory world: the cluster's namespace (owned by it), its claims with the phase each has,
 * and a StatefulSet whose status says every pod is ready once applied. Records each call's first words.
 */
function world(cluster: RestateClusterObject, phases: Record<string, string>) {
  const calls: string[] = [];
  const statuses: Manifest[] = [];
  const name = cluster.metadata.name;
  const replicas = cluster.spec.compute.replicas;
  const ok = (body: unknown): KubectlResult => ({ code: 0, stdout: JSON.stringify(body), stderr: '' });
  const kubectl: Kubectl = async (args, options) => {
    const words = args.filter((a) => !a.startsWith('-') && a !== name && a !== 'json').slice(0, 2);
    const input = options.input ? JSON.parse(options.input) : undefined;
    if (args[0] === 'get' && args[1] === 'namespace') {
      const owner = { apiVersion: cluster.apiVersion, kind: cluster.kind, name, uid: UID, controller: true };
      calls.push('get namespace');
      return ok({ metadata: { name, ownerReferences: [owner] } });
    }
    if (args.includes('persistentvolumeclaims,statefulsets')) {
      calls.push(`get claims -l ${args[args.indexOf('-l') + 1]}`);
      return ok({
        items: Object.keys(phases).map((claim) => ({ kind: 'PersistentVolumeClaim', metadata: { name: claim, namespace: name } })),
      });
    }
    if (args.includes('--subresource=status')) {
      statuses.push(input.status);
      calls.push('apply status');
      return ok(input);
    }
    if (args.includes('apply')) {
      const items: Manifest[] = input.kind === 'List' ? input.items : [input];
      calls.push(`apply ${items.map((o) => o.kind).join(',')}`);
      const back = items.map((o) =>
        o.kind === 'PersistentVolumeClaim'
          ? { ...o, status: { phase: phases[o.metadata.name] } }
          : o.kind === 'StatefulSet'
            ? { ...o, status: { replicas, readyReplicas: replicas } }
            : o,
      );
      return ok(input.kind === 'List' ? { kind: 'List', items: back } : back[0]);
    }
    if (args.includes('pod')) {
      calls.push('get pod');
      return ok({ status: { phase: 'Running' } });
    }
    calls.push(words.join(' '));
    return ok({});
  };
  return { kubectl, calls, statuses };
}

describe('the claims step: what the operator checks of the claims before the StatefulSet', () => {
  const cluster = served('1.7.4');

  test('the claims it visits: the mandatory labels of the cluster; each applied with the requested bytes only', () => {
    expect(claimSelector(cluster)).toBe(`app.kubernetes.io/instance=${cluster.metadata.name},app.kubernetes.io/name=restate`);
    expect(claimPatch(cluster, '1.7.4', 'storage-restate-1')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'storage-restate-1' },
      spec: { resources: { requests: { storage: String(cluster.spec.storage.storageRequestBytes) } } },
    });
    // at 2.8.1 the volume attributes class too, only when the cluster names one
    const withClass = { ...cluster, spec: { ...cluster.spec, storage: { ...cluster.spec.storage, volumeAttributesClassName: 'fast' } } };
    expect(claimPatch(withClass, '2.8.1', 'x').spec.volumeAttributesClassName).toBe('fast');
    expect(claimPatch(withClass, '1.7.4', 'x').spec.volumeAttributesClassName).toBeUndefined();
    expect(claimPatch(cluster, '2.8.1', 'x').spec).not.toHaveProperty('volumeAttributesClassName');
  });

  test('the first claim not Bound stops the reconcile, NotReady PersistentVolumeClaimNotBound naming it', () => {
    expect(
      unboundClaim([
        { name: 'storage-restate-0', phase: 'Bound' },
        { name: 'storage-restate-1', phase: 'Pending' },
      ]),
    ).toEqual({
      kind: 'not-ready',
      reason: 'PersistentVolumeClaimNotBound',
      message: 'PersistentVolumeClaim storage-restate-1 is not yet bound to a volume',
    });
    expect(unboundClaim([{ name: 'storage-restate-0', phase: undefined }])).toMatchObject({ reason: 'PersistentVolumeClaimNotBound' });
    expect(unboundClaim([{ name: 'storage-restate-0', phase: 'Lost' }])).toMatchObject({ reason: 'PersistentVolumeClaimNotBound' });
    expect(unboundClaim([{ name: 'storage-restate-0', phase: 'Bound' }])).toBeUndefined();
    expect(unboundClaim([])).toBeUndefined();
  });

  test('all Bound: a StatefulSet of the same size stays; another size (or class at 2.8.1) is deleted, orphaning pods', () => {
    const bytes = cluster.spec.storage.storageRequestBytes as number;
    const sts = (storage: string, vac?: string): Manifest => ({
      metadata: { uid: 'u-1' },
      spec: { volumeClaimTemplates: [{ spec: { resources: { requests: { storage } }, volumeAttributesClassName: vac } }] },
    });
    expect(storageUnchanged(undefined, cluster, '1.7.4')).toBe(true);
    expect(storageUnchanged(sts(String(bytes)), cluster, '1.7.4')).toBe(true);
    expect(storageUnchanged(sts(`${bytes / 2 ** 30}Gi`), cluster, '1.7.4')).toBe(true);
    expect(storageUnchanged(sts(String(bytes * 2)), cluster, '1.7.4')).toBe(false);
    expect(storageUnchanged(sts('not-a-size'), cluster, '1.7.4')).toBe(false);
    expect(storageUnchanged(sts(String(bytes), 'fast'), cluster, '1.7.4')).toBe(true);
    expect(storageUnchanged(sts(String(bytes), 'fast'), cluster, '2.8.1')).toBe(false);
    expect(statefulSetDeleteOptions(sts('1'), '1.7.4')).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Orphan',
      preconditions: { uid: 'u-1' },
    });
    expect(statefulSetDeleteOptions(sts('1'), '2.8.1').gracePeriodSeconds).toBe(0);
  });
});

describe('one reconcile with the claims step', () => {
  for (const version of ['1.7.4', '2.8.1'] as const) {
    test(`${version}: claims Pending → not Ready, PersistentVolumeClaimNotBound, no StatefulSet applied`, async () => {
      // GIVEN a cluster whose first claim is Bound and second Pending
      const cluster = served(version);
      const { kubectl, calls, statuses } = world(cluster, { 'storage-restate-0': 'Bound', 'storage-restate-1': 'Pending' });
      // WHEN the part reconciles it
      const done = await reconcileCluster(kubectl, cluster, { version, now: () => '2026-12-08T00:00:00Z' });
      // THEN it stops at the second claim: False, PersistentVolumeClaimNotBound, and the StatefulSet is not applied
      expect(done?.condition).toEqual({
        status: 'False',
        reason: 'PersistentVolumeClaimNotBound',
        message: 'PersistentVolumeClaim storage-restate-1 is not yet bound to a volume',
      });
      expect(statuses.map((s) => s.conditions[0].reason)).toEqual(['PersistentVolumeClaimNotBound']);
      expect(done?.applied.map((o) => o.kind)).not.toContain('StatefulSet');
      expect(calls.filter((c) => c.startsWith('apply'))).toEqual([
        expect.stringMatching(/^apply Namespace,NetworkPolicy,.*,PodDisruptionBudget$/),
        'apply PersistentVolumeClaim,PersistentVolumeClaim',
        'apply status',
      ]);
    });

    test(`${version}: every claim Bound → the StatefulSet applied, and its ready pods make the cluster Ready`, async () => {
      // GIVEN a cluster whose claims are all Bound (autoProvision off: the provisioning call is not this test's)
      const base = served(version);
      const cluster: RestateClusterObject = { ...base, spec: { ...base.spec, cluster: { ...base.spec.cluster, autoProvision: false } } };
      const claims = Object.fromEntries(Array.from({ length: cluster.spec.compute.replicas }, (_, i) => [`storage-restate-${i}`, 'Bound']));
      const { kubectl, calls } = world(cluster, claims);
      // WHEN the part reconciles it
      const done = await reconcileCluster(kubectl, cluster, { version });
      // THEN the claims were each applied, the StatefulSet after them, and the condition is the version's Ready
      const claimApply = calls.findIndex((c) => c.startsWith('apply PersistentVolumeClaim'));
      expect(calls[claimApply].split(',')).toHaveLength(cluster.spec.compute.replicas);
      expect(calls[0]).toBe('get namespace');
      expect(calls.indexOf('apply StatefulSet')).toBeGreaterThan(claimApply);
      expect(calls).toContain(`get claims -l app.kubernetes.io/instance=${cluster.metadata.name},app.kubernetes.io/name=restate`);
      expect(done?.condition).toEqual(
        version === '2.8.1'
          ? { status: 'True', reason: 'Reconciled', message: 'Restate Cluster reconciled successfully' }
          : { status: 'True', reason: 'Provisioned', message: 'Restate Cluster provisioned successfully' },
      );
    });
  }

  test('2.8.1 autoProvision, every claim Bound, restate-0 Running: a failed provisioning call is False ProvisioningFailed', async () => {
    // GIVEN the shipped 2.8.1 cluster (autoProvision, not yet provisioned), its claims Bound, restate-0 Running
    const cluster = served('2.8.1');
    expect(cluster.spec.cluster?.autoProvision).toBe(true);
    const claims = Object.fromEntries(Array.from({ length: cluster.spec.compute.replicas }, (_, i) => [`storage-restate-${i}`, 'Bound']));
    const { kubectl, statuses } = world(cluster, claims);
    // WHEN the part reconciles it and the provisioning call fails
    const unreachable = 'Failed to connect to http://restate-0.restate-cluster.x.svc.cluster.local:5122: transport error';
    const done = await reconcileCluster(kubectl, cluster, {
      version: '2.8.1',
      provision: async () => {
        throw new Error(unreachable);
      },
    });
    // THEN the condition is the operator's for Error::ProvisioningFailed (controller.rs:299-310 @2.8.1), not provisioned
    expect(done?.condition).toEqual({ status: 'False', reason: 'ProvisioningFailed', message: `Provisioning failed: ${unreachable}` });
    expect(statuses[0].provisioned).toBeUndefined();
  });
});
