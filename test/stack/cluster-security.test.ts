import { Testing } from 'cdk8s';
import { RestateCluster } from '../../lib/stack/cluster';
import { sizeOfBytes } from '../../lib/stack/units';
import { credentialEnv, serviceAccountAnnotations } from '../../lib/stack/cluster-credentials';
import { egressRules, isPrivateIPv4, metricsPeers } from '../../lib/stack/cluster-network';
import { loadTargetValues, type StackValues } from '../../lib/values';
import { buildStack } from '../../lib/stack/stack';
import { validateManifests } from '../support/validate';
import { FIXTURE_VALUES } from '../support/values-dir';

const valuesFor = (environment: string, provider: string) => loadTargetValues(FIXTURE_VALUES, environment, provider).values;

/** Egress rules as they appear in the synthesized RestateCluster. */
function synthesizedEgress(values: StackValues): unknown {
  const chart = Testing.chart();
  new RestateCluster(chart, 'C', { name: 'x', image: 'i:1', storageRequest: sizeOfBytes(1), config: '', egressRules: egressRules(values) });
  return Testing.synth(chart)[0].spec.security?.networkEgressRules;
}

describe('credentials reach Restate as secretKeyRef env entries', () => {
  test('for snapshots from a SOPS-managed Secret', () => {
    expect(credentialEnv(valuesFor('dev', 'kind'))).toEqual([
      {
        name: 'RESTATE_WORKER__SNAPSHOTS__AWS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 'restate-object-storage', key: 'AWS_ACCESS_KEY_ID' } },
      },
      {
        name: 'RESTATE_WORKER__SNAPSHOTS__AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 'restate-object-storage', key: 'AWS_SECRET_ACCESS_KEY' } },
      },
    ]);
  });

  test('for object-store metadata too, with custom key names of an existing Secret', () => {
    const kind = valuesFor('dev', 'kind');
    const values: StackValues = {
      ...kind,
      metadata: { store: 'object-store' },
      objectStorage: {
        ...kind.objectStorage,
        credentials: { source: 'existing-secret', secretName: 's3', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
      },
    };
    expect(credentialEnv(values).map((e) => `${e.name}=${e.valueFrom?.secretKeyRef?.name}/${e.valueFrom?.secretKeyRef?.key}`)).toEqual([
      'RESTATE_WORKER__SNAPSHOTS__AWS_ACCESS_KEY_ID=s3/id',
      'RESTATE_WORKER__SNAPSHOTS__AWS_SECRET_ACCESS_KEY=s3/secret',
      'RESTATE_METADATA_CLIENT__AWS_ACCESS_KEY_ID=s3/id',
      'RESTATE_METADATA_CLIENT__AWS_SECRET_ACCESS_KEY=s3/secret',
    ]);
  });

  test('workload identity needs no env, only service account annotations', () => {
    const aws = valuesFor('dev', 'aws');
    expect(credentialEnv(aws)).toEqual([]);
    expect(serviceAccountAnnotations(aws)).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/restate-stack' });
  });

  test('nothing is wired while no feature uses object storage', () => {
    const kind = valuesFor('dev', 'kind');
    expect(credentialEnv({ ...kind, snapshots: { ...kind.snapshots, enabled: false } })).toEqual([]);
  });
});

describe('egress rules', () => {
  test('let the pods reach an in-cluster object store on its port', () => {
    expect(synthesizedEgress(valuesFor('dev', 'kind'))).toEqual([
      {
        ports: [{ port: 9000, protocol: 'TCP' }],
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'minio' } },
            podSelector: { matchLabels: { app: 'minio' } },
          },
        ],
      },
    ]);
  });

  test("are derived for a store on a private address, which the operator's public egress excludes", () => {
    const kind = valuesFor('dev', 'kind');
    const values: StackValues = {
      ...kind,
      objectStorage: { ...kind.objectStorage, s3Hostname: '10.20.30.40', allowHttp: false, egressTo: undefined },
    };
    expect(synthesizedEgress(values)).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.20.30.40/32' } }] }]);
  });

  test('are not needed for a public store', () => {
    expect(egressRules(valuesFor('dev', 'aws'))).toEqual([]);
  });

  test('let the pods reach the trace collector', () => {
    expect(synthesizedEgress(valuesFor('prod', 'vultr'))).toEqual([
      {
        ports: [{ port: 4317, protocol: 'TCP' }],
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'opentelemetry-collector' } },
          },
        ],
      },
    ]);
  });

  test.each([
    ['10.0.0.1', true],
    ['172.16.5.4', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['8.8.8.8', false],
    ['minio.local', false],
  ])('%s is private: %s', (host, expected) => {
    expect(isPrivateIPv4(host)).toBe(expected);
  });
});

describe('metrics peers', () => {
  test('admit exactly the configured Prometheus pods when metrics are on', () => {
    expect(metricsPeers(valuesFor('prod', 'vultr'))).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ]);
  });

  test('admit nobody when metrics are off', () => {
    expect(metricsPeers(valuesFor('dev', 'vultr'))).toEqual([]);
  });
});

describe('who may call the cluster: security.networkPeers.ingress and .admin', () => {
  const synthPeers = (props: { ingressPeers?: object[]; adminPeers?: object[] }) => {
    const chart = Testing.chart();
    new RestateCluster(chart, 'C', { name: 'x', image: 'i:1', storageRequest: sizeOfBytes(1), config: '', ...props } as never);
    return Testing.synth(chart)[0];
  };

  test('unset stays unset: nobody reaches 8080, only the operator 9070', () => {
    // WHEN no peers are given THEN the CR has no networkPeers at all (the operator's defaults)
    expect(synthPeers({}).spec.security?.networkPeers).toBeUndefined();
  });

  test('the listed peers are passed on, and [] stays [] (everybody), next to the fabric peers', () => {
    // GIVEN the callers of the worked example in docs/network-access.md
    const apps = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'checkout' } },
    };
    const object = synthPeers({ ingressPeers: [apps], adminPeers: [] });
    // THEN they appear as given, and the object is valid against the 1.7.4 CRD
    expect(object.spec.security.networkPeers).toEqual({ ingress: [apps], admin: [] });
    expect(validateManifests([object])).toEqual([]);
  });

  test('values networkPeers reach the synthesized RestateCluster of a target', () => {
    // GIVEN dev/vultr with an ingress peer WHEN synthesized through the stack THEN the CR carries it
    const values = valuesFor('dev', 'vultr');
    const peer = { namespaceSelector: { matchLabels: { team: 'payments' } } };
    const withPeers: StackValues = { ...values, networkPeers: { ingress: [peer] } };
    const app = Testing.app();
    buildStack(app, withPeers, {});
    const cluster = app.charts.flatMap((c) => c.toJson()).find((o: { kind: string }) => o.kind === 'RestateCluster');
    expect(cluster.spec.security.networkPeers.ingress).toEqual([peer]);
    expect(cluster.spec.security.networkPeers.admin).toBeUndefined();
  });
});
