/**
 * How the objects the real restate-operator creates are recorded (test/support/operator-objects.ts, used by
 * scripts/record-operator-objects.ts) and set beside the operator part (test/support/operator-diff.ts): normalizing a
 * live object, the fields the operator set, the chart's environment, our part's objects and the field diff.
 * The recordings themselves: operator-recordings.test.ts.
 */
import { join, resolve } from 'node:path';
import { chartEnv, distCluster, normalizeObject, objectKey, writtenFields } from '../support/operator-objects';
import { fieldDiff, ourObjects, withServerDefaults } from '../support/operator-diff';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

describe('normalizing a live object', () => {
  test("drops what the server assigns per run, keeps the operator's choices, sorts keys", () => {
    // GIVEN a Service as the API server returns it
    const live = {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: {
        name: 'restate',
        namespace: 'c',
        uid: 'u-1',
        resourceVersion: '42',
        creationTimestamp: '2026-12-07T20:00:00Z',
        managedFields: [{ manager: 'restate-operator' }],
        ownerReferences: [{ kind: 'RestateCluster', name: 'c', uid: 'u-0', controller: true }],
      },
      spec: { clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7'], ports: [{ port: 8080 }] },
      status: { loadBalancer: {} },
    };

    // WHEN it is normalized
    const normalized = normalizeObject(live);

    // THEN the per-run fields are gone and the rest is kept, keys in order
    expect(normalized).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'restate', namespace: 'c', ownerReferences: [{ controller: true, kind: 'RestateCluster', name: 'c' }] },
      spec: { ports: [{ port: 8080 }] },
    });
    expect(Object.keys(normalized)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);

    // AND a headless Service keeps its "None"
    expect(normalizeObject({ kind: 'Service', metadata: {}, spec: { clusterIP: 'None' } }).spec).toEqual({ clusterIP: 'None' });
  });

  test("keeps the RestateCluster's status, without the condition times", () => {
    const cluster = {
      kind: 'RestateCluster',
      metadata: { name: 'c' },
      status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-12-07T20:00:00Z' }] },
    };
    expect(normalizeObject(cluster).status).toEqual({ conditions: [{ status: 'False', type: 'Ready' }] });
  });
});

describe("the operator's own fields of an object", () => {
  test("fieldsV1 cuts a live object down to what the operator's apply set", () => {
    // GIVEN a StatefulSet with server defaults, and the operator's fieldsV1 (list items keyed by name)
    const live = {
      metadata: { name: 'restate', labels: { a: 'b' } },
      spec: {
        revisionHistoryLimit: 10,
        template: {
          spec: {
            dnsPolicy: 'ClusterFirst',
            containers: [
              { name: 'restate', image: 'i', imagePullPolicy: 'IfNotPresent', args: ['x', 'y'] },
              { name: 'other', image: 'o' },
            ],
          },
        },
      },
    };
    const fields = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"restate"}': { '.': {}, 'f:image': {}, 'f:args': {} } } } } },
    };

    // WHEN it is cut down
    const written = writtenFields(live, fields);

    // THEN only the operator's fields are left
    expect(written).toEqual({
      metadata: { labels: { a: 'b' } },
      spec: { template: { spec: { containers: [{ image: 'i', args: ['x', 'y'] }] } } },
    });
  });
});

describe("the operator chart's environment", () => {
  test('is the Deployment template of the tag with the values a target sets', () => {
    expect(chartEnv('1.7.4', 'restate-operator', {})).toEqual({
      RUST_LOG: 'info,restate=debug',
      OPERATOR_NAMESPACE: 'restate-operator',
      OPERATOR_LABEL_NAME: 'app',
      OPERATOR_LABEL_VALUE: 'restate-operator',
    });
    // 2.8.1's optional values, and 1.7.4 ignoring those its template does not have
    const values = { clusterDns: 'k8s.local', awsPodIdentityAssociationCluster: 'eks-1', env: [{ name: 'X', value: '1' }] };
    expect(chartEnv('2.8.1', 'ops', values)).toMatchObject({
      CLUSTER_DNS: 'k8s.local',
      AWS_POD_IDENTITY_ASSOCIATION_CLUSTER: 'eks-1',
      X: '1',
    });
    expect(chartEnv('1.7.4', 'ops', values)).not.toHaveProperty('CLUSTER_DNS');
  });
});

describe('what the operator part derives, beside a recording', () => {
  test("ourObjects: every object operatorObjects derives, and the cluster's status while the claims are Pending", () => {
    // GIVEN dev/vultr's RestateCluster
    const cluster = distCluster(join(DIST, 'dev', 'vultr'));

    // WHEN our operator part derives what the operator writes for it (operator 1.7.4)
    const objects = ourObjects(cluster, '1.7.4');

    // THEN the namespace, service account, StatefulSet and the rest are there, owned by the cluster, and the status
    // is not ready for the first claim not Bound (as the recordings, made with no volume binder, have it)
    const keys = objects.map(objectKey);
    expect(keys).toEqual(
      expect.arrayContaining(['Namespace restate-dev', 'ServiceAccount restate-dev/restate', 'StatefulSet restate-dev/restate']),
    );
    const statefulSet = objects.find((o) => o.kind === 'StatefulSet');
    expect(statefulSet.spec.replicas).toBe(cluster.spec.compute.replicas);
    expect(statefulSet.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'RestateCluster', name: 'restate-dev' })]);
    const status = objects.find((o) => o.kind === 'RestateCluster').status;
    expect(status.conditions).toEqual([
      expect.objectContaining({
        type: 'Ready',
        status: 'False',
        reason: 'PersistentVolumeClaimNotBound',
        message: 'PersistentVolumeClaim storage-restate-0 is not yet bound to a volume',
      }),
    ]);
  });

  test("the server's defaults inside fields the operator owns whole are added to ours, the owner's uid (which the recording drops) removed, and nothing else", () => {
    const statefulSet = ourObjects(distCluster(join(DIST, 'dev', 'vultr')), '1.7.4').find((o) => o.kind === 'StatefulSet');
    const defaulted = withServerDefaults(statefulSet);
    expect(fieldDiff('StatefulSet', statefulSet, defaulted).map((d) => d.path)).toEqual([
      'metadata.ownerReferences[name=restate-dev].uid',
      'spec.template.spec.containers[name=restate].env[name=POD_NAME].valueFrom.fieldRef.apiVersion',
      'spec.volumeClaimTemplates[0].apiVersion',
      'spec.volumeClaimTemplates[0].kind',
      'spec.volumeClaimTemplates[0].spec.volumeMode',
      'spec.volumeClaimTemplates[0].status.phase',
    ]);
  });

  test('a field diff names each path whose values differ, lists by name, absent as undefined', () => {
    const real = { spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 1 }] }], replicas: 3 } };
    const ours = { spec: { containers: [{ name: 'a', image: 'y', ports: [{ containerPort: 1 }] }] } };
    expect(fieldDiff('StatefulSet n/s', real, ours)).toEqual([
      { object: 'StatefulSet n/s', path: 'spec.containers[name=a].image', real: 'x', ours: 'y' },
      { object: 'StatefulSet n/s', path: 'spec.replicas', real: 3, ours: undefined },
    ]);
    expect(fieldDiff('x', real, structuredClone(real))).toEqual([]);
  });
});
