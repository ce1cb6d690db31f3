import { createHash } from 'node:crypto';
import type { Manifest, RestateClusterObject } from '../../lib/operator-part/manifest';
import { deletedPolicyNames } from '../../lib/operator-part/network-policies';
import { operatorObjects } from '../../lib/operator-part/objects';
import { configMapName } from '../../lib/operator-part/services';
import { provisioningBlock, readyCondition, statefulSetOutcome } from '../../lib/operator-part/status';
import { shippedClusters } from '../support/shipped-clusters';

const UID = '0b5d3c1e-0000-4000-8000-000000000001';
const shipped = shippedClusters();
const withUid = (cluster: RestateClusterObject): RestateClusterObject => ({ ...cluster, metadata: { ...cluster.metadata, uid: UID } });
const find = (objects: Manifest[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const container = (objects: Manifest[]) => find(objects, 'StatefulSet', 'restate').spec.template.spec.containers[0];
/** staging/vultr: the shipped 2.8.1 target (autoProvision, topology spread constraints), derived under both versions. */
const staging = () => withUid(shipped.find((s) => s.version === '2.8.1')!.cluster);

describe('operatorObjects: what the operator writes for a RestateCluster', () => {
  test('every shipped target derives the same seven kinds, sorted by kind, namespace and name, byte for byte twice', () => {
    // GIVEN every RestateCluster in dist/ with its operator version
    expect(shipped.map((s) => s.target)).toEqual(expect.arrayContaining(['dev/kind', 'staging/vultr']));
    for (const { cluster, version } of shipped) {
      // WHEN derived twice
      const objects = operatorObjects(withUid(cluster), version);
      // THEN the order is by kind, namespace, name, and a second derivation is byte-identical
      const keys = objects.map((o) => [o.kind, o.metadata.namespace ?? '', o.metadata.name].join('/'));
      expect(keys).toEqual([...keys].sort());
      expect(JSON.stringify(operatorObjects(withUid(cluster), version))).toBe(JSON.stringify(objects));
      expect([...new Set(objects.map((o) => o.kind))]).toEqual([
        'ConfigMap',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
        'StatefulSet',
      ]);
      // AND everything but the Namespace is in the cluster's namespace, owned by the cluster as its controller
      for (const o of objects) {
        expect(o.metadata.namespace).toBe(o.kind === 'Namespace' ? undefined : cluster.metadata.name);
        expect(o.metadata.ownerReferences).toEqual([
          { apiVersion: 'restate.dev/v1', kind: 'RestateCluster', name: cluster.metadata.name, uid: UID, controller: true },
        ]);
      }
    }
  });

  test("the cluster's labels and annotations go on every object, the mandatory labels on top; selectors use the mandatory ones", () => {
    // GIVEN dev/kind, whose RestateCluster carries Flux's labels and Argo CD's annotations (mod.rs:29-36)
    const { cluster, version } = shipped.find((s) => s.target === 'dev/kind')!;
    const objects = operatorObjects(withUid(cluster), version);
    const mandatory = { 'app.kubernetes.io/instance': cluster.metadata.name, 'app.kubernetes.io/name': 'restate' };
    expect(Object.keys(cluster.metadata.labels ?? {}).length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.metadata.labels).toEqual({ ...cluster.metadata.labels, ...mandatory });
      expect(o.metadata.annotations).toEqual(cluster.metadata.annotations);
    }
    const sts = find(objects, 'StatefulSet', 'restate');
    expect(sts.spec.selector).toEqual({ matchLabels: mandatory });
    expect(sts.spec.template.metadata.labels).toEqual({ ...cluster.metadata.labels, ...mandatory });
    expect(sts.spec.volumeClaimTemplates[0].metadata.labels).toEqual(mandatory);
    expect(find(objects, 'PodDisruptionBudget', 'restate').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: mandatory } });
    expect(find(objects, 'Service', 'restate-cluster').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
  });

  test("the ConfigMap is named after the first 4 bytes of the config's SHA-256 as a little-endian u32 in hex, and holds the config", () => {
    // GIVEN the empty config, whose SHA-256 starts e3 b0 c4 42 (FIPS 180-2's empty-message digest)
    expect(configMapName('')).toBe('restate-config-42c4b0e3');
    // AND a shipped config: the name follows its digest, read as compute.rs:64-68 reads it
    const cluster = staging();
    const digest = createHash('sha256').update(cluster.spec.config).digest();
    const le = (digest[0] | (digest[1] << 8) | (digest[2] << 16) | (digest[3] << 24)) >>> 0;
    const cm = operatorObjects(cluster, '2.8.1').find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.name).toBe(`restate-config-${le.toString(16)}`);
    expect(cm.data).toEqual({ 'config.toml': cluster.spec.config });
    expect(find(operatorObjects(cluster, '2.8.1'), 'StatefulSet', 'restate').spec.template.spec.volumes).toContainEqual({
      name: 'config',
      configMap: { name: cm.metadata.name },
    });
  });

  test('the env: POD_NAME first, the operator defaults the CR does not name, then the CR env as written', () => {
    // GIVEN a cluster whose env overrides RESTATE_LOG_FORMAT and adds one of its own
    const cluster = staging();
    const custom = {
      ...cluster,
      spec: {
        ...cluster.spec,
        compute: {
          ...cluster.spec.compute,
          env: [
            { name: 'RESTATE_LOG_FORMAT', value: 'pretty' },
            { name: 'X', value: '$(POD_NAME)' },
          ],
        },
      },
    };
    // WHEN derived under 1.7.4 (compute.rs:198-253)
    const env = container(operatorObjects(custom, '1.7.4')).env as Manifest[];
    // THEN the default of that name is dropped and the CR's entries come last, in order
    expect(env.map((e) => e.name)).toEqual([
      'POD_NAME',
      'RESTATE_CLUSTER_NAME',
      'RESTATE_BASE_DIR',
      'RUST_BACKTRACE',
      'RUST_LIB_BACKTRACE',
      'RESTATE_CONFIG',
      'RESTATE_ADVERTISED_ADDRESS',
      'RESTATE_NODE_NAME',
      'RESTATE_LOG_FORMAT',
      'X',
    ]);
    expect(env[0]).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(env.find((e) => e.name === 'RESTATE_ADVERTISED_ADDRESS')!.value).toBe('http://$(POD_NAME).restate-cluster:5122');
  });

  test('1.7.4 and 2.8.1 differ where the source differs, each for its cited reason', () => {
    // GIVEN the shipped 2.8.1 cluster, derived under each version
    const cluster = staging();
    expect(cluster.spec.compute.topologySpreadConstraints).toBeDefined();
    const old = operatorObjects(cluster, '1.7.4');
    const next = operatorObjects(cluster, '2.8.1');
    // THEN the readiness probe waits 30 s only at 2.8.1 (compute.rs:577-585 @2.8.1; :375-382 @1.7.4 sets no delay)
    expect(container(old).readinessProbe).toEqual({ httpGet: { port: 9070, path: '/health' } });
    expect(container(next).readinessProbe).toEqual({ httpGet: { port: 9070, path: '/health' }, initialDelaySeconds: 30 });
    // AND 2.8.1 adds POD_ZONE and POD_REGION after POD_NAME, from the pod's topology labels (compute.rs:239-284 @2.8.1)
    expect((container(next).env as Manifest[]).slice(0, 3).map((e) => e.valueFrom.fieldRef.fieldPath)).toEqual([
      'metadata.name',
      "metadata.labels['topology.kubernetes.io/zone']",
      "metadata.labels['topology.kubernetes.io/region']",
    ]);
    expect((container(old).env as Manifest[]).filter((e) => e.valueFrom)).toHaveLength(1);
    // AND only 2.8.1 passes topologySpreadConstraints to the pods (compute.rs:613 @2.8.1; 1.7.4's PodSpec has no such line)
    expect(find(next, 'StatefulSet', 'restate').spec.template.spec.topologySpreadConstraints).toEqual(
      cluster.spec.compute.topologySpreadConstraints,
    );
    expect(find(old, 'StatefulSet', 'restate').spec.template.spec.topologySpreadConstraints).toBeUndefined();
    // AND the DNS policy is renamed and narrowed to the cluster's pods, deny-all too (network_policies.rs:27-97 @2.8.1)
    const policies = (objects: Manifest[]) => objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies(old)).toContain('allow-egress-to-kube-dns');
    expect(policies(next)).toContain('allow-egress-to-dns');
    expect(find(old, 'NetworkPolicy', 'deny-all').spec.podSelector).toEqual({});
    expect(find(next, 'NetworkPolicy', 'deny-all').spec.podSelector).toEqual({
      matchLabels: find(next, 'StatefulSet', 'restate').spec.selector.matchLabels,
    });
    // AND with autoProvision the operator is admitted to 5122 at 2.8.1 (:381-412 @2.8.1), not at 1.7.4
    const metricsPeers = (objects: Manifest[]) => find(objects, 'NetworkPolicy', 'allow-metrics-access').spec.ingress[0].from as Manifest[];
    const operatorPeer = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'restate-operator' } },
      podSelector: { matchLabels: { app: 'restate-operator' } },
    };
    expect(metricsPeers(next)).toContainEqual(operatorPeer);
    expect(metricsPeers(old)).not.toContainEqual(operatorPeer);
    // AND 2.8.1 deletes the DNS policy's 1.7.4 name, so a cluster moved from 1.7.4 keeps one (:311-312 @2.8.1)
    expect(deletedPolicyNames(cluster.spec.security, '2.8.1')).toContain('allow-egress-to-kube-dns');
    expect(deletedPolicyNames(cluster.spec.security, '1.7.4')).not.toContain('allow-egress-to-kube-dns');
    // AND success reads "Provisioned" at 1.7.4 and "Reconciled" at 2.8.1 (controller.rs:216-225; :258-267 @2.8.1)
    expect(readyCondition({ kind: 'ok' }, '1.7.4')).toEqual({
      status: 'True',
      reason: 'Provisioned',
      message: 'Restate Cluster provisioned successfully',
    });
    expect(readyCondition({ kind: 'ok' }, '2.8.1')).toEqual({
      status: 'True',
      reason: 'Reconciled',
      message: 'Restate Cluster reconciled successfully',
    });
  });

  test("the StatefulSet's status decides the outcome as validate_stateful_set_status does, swapped fields included", () => {
    // GIVEN no status, a scaling one, a not-ready one and a ready one, for 3 expected replicas
    // THEN (compute.rs:1004-1029) the no-status case keeps the source's swapped reason and message
    expect(statefulSetOutcome(undefined, 3)).toEqual({
      kind: 'not-ready',
      reason: 'StatefulSet has no status set; it may have just been created',
      message: 'StatefulSetNoStatus',
    });
    expect(statefulSetOutcome({ replicas: 0 }, 3)).toMatchObject({
      reason: 'StatefulSetScaling',
      message: expect.stringContaining('has 0 replicas instead of the expected 3'),
    });
    expect(statefulSetOutcome({ replicas: 3, readyReplicas: 2 }, 3)).toMatchObject({ reason: 'StatefulSetPodNotReady' });
    expect(statefulSetOutcome({ replicas: 3, readyReplicas: 3 }, 3)).toEqual({ kind: 'ok' });
  });

  test('2.8.1 provisioning waits for restate-0 to run, and refuses a config that provisions itself (provisioning.rs:25-87 @2.8.1)', () => {
    // GIVEN the shipped 2.8.1 cluster (its config says auto-provision = false)
    const cluster = staging();
    expect(provisioningBlock(cluster, 'Pending')).toMatchObject({ reason: 'ProvisioningPodNotRunning' });
    expect(provisioningBlock(cluster, 'Running')).toBeUndefined();
    // WHEN its env turns the server's own provisioning on
    const self = {
      ...cluster,
      spec: { ...cluster.spec, compute: { ...cluster.spec.compute, env: [{ name: 'RESTATE_AUTO_PROVISION', value: 'true' }] } },
    };
    // THEN the reconcile fails with InvalidRestateConfig's text
    expect(provisioningBlock(self, 'Running')).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(
        /^Invalid Restate configuration: Cannot use cluster\.autoProvision with RESTATE_AUTO_PROVISION != false/,
      ),
    });
  });
});
