import { join } from 'node:path';
import { loadTargets, loadTargetValues } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const errorsOf = (environment?: string, provider?: string) => dir.errorsOf(environment, provider);

const DEV = 'environments/dev.yaml';
const BASE = 'base.yaml';

describe('the shipped values', () => {
  test('merge base ◄ provider ◄ environment into the documented defaults', () => {
    // GIVEN the repository's values WHEN loading dev on vultr
    const { values, warnings } = loadTargetValues(dir.path, 'dev', 'vultr');
    // THEN
    expect(values).toMatchObject({
      environment: 'dev',
      provider: 'vultr',
      clusterName: 'restate-dev',
      image: 'restatedev/restate:1.4.4',
      replicas: 3,
      storage: { size: '40Gi', storageClassName: 'vultr-block-storage' },
      restate: { defaultNumPartitions: 128, defaultReplication: 2 },
      operator: {
        chart: 'oci://ghcr.io/restatedev/restate-operator-helm',
        version: '1.7.4',
        namespace: 'restate-operator',
        releaseName: 'restate-operator',
        delivery: 'argocd',
      },
      provisioning: { automated: false },
    });
    // and no warning of the values' own (the image is an exact patch release)
    expect(warnings).toEqual([]);
  });

  test('the environment overlay wins over the provider overlay', () => {
    // GIVEN a provider and an environment that both set clusterName
    dir.set('providers/vultr.yaml', ['clusterName'], 'restate-from-provider');
    // WHEN
    const { values } = loadTargetValues(dir.path, 'dev', 'vultr');
    // THEN
    expect(values.clusterName).toBe('restate-dev');
  });

  test('null in an overlay removes a key set below it', () => {
    dir.set(DEV, ['storage', 'storageClassName'], null);
    const { values } = loadTargetValues(dir.path, 'dev', 'vultr');
    expect(values.storage).toEqual({ size: '40Gi' });
  });

  test('loaded values are frozen', () => {
    const { values } = loadTargetValues(dir.path, 'dev', 'vultr');
    expect(Object.isFrozen(values.storage)).toBe(true);
  });

  test('every target in targets.yaml loads', () => {
    const targets = loadTargets(dir.path);
    expect(targets.length).toBeGreaterThanOrEqual(4);
    for (const t of targets) expect(loadTargetValues(dir.path, t.environment, t.provider).values.environment).toBe(t.environment);
  });
});

describe('validation names the file, the key path and the reason', () => {
  test('an unknown key (a typo) is rejected with a suggestion', () => {
    dir.set(DEV, ['replica'], 3);
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: replica: unknown key (did you mean "replicas"?)`]);
  });

  test('a nested unknown key names its full path', () => {
    dir.set('providers/vultr.yaml', ['storage', 'storageClass'], 'x');
    expect(errorsOf()).toEqual([
      `${join(dir.path, 'providers/vultr.yaml')}: storage.storageClass: unknown key (did you mean "storage.storageClassName"?)`,
    ]);
  });

  test('operator chart values that only chart 2.8.1 honours are refused with operator 1.7.4', () => {
    dir.set(DEV, ['operator', 'chartValues', 'nodeSelector'], { a: 'b' });
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: operator.chartValues.nodeSelector: is a value of chart 2.8.1, not of 1.7.4: chart 1.7.4 would ignore it silently`,
    ]);
  });

  test('operator chart values that no modelled chart knows are unknown keys', () => {
    dir.set(DEV, ['operator', 'chartValues', 'fullnameOverride'], 'x');
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: operator.chartValues.fullnameOverride: unknown key`]);
  });

  test('replicas below 3 is rejected: Raft needs a quorum', () => {
    dir.set(DEV, ['replicas'], 2);
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: replicas: must be at least 3: the replicated (Raft) metadata store needs a majority that survives losing a node, got 2`,
    ]);
  });

  test('replicas must be a whole number', () => {
    dir.set(DEV, ['replicas'], 3.5);
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: replicas: must be a whole number, got 3.5`]);
  });

  test('replicas given as a string is a type error that shows the value', () => {
    dir.set(DEV, ['replicas'], 'three');
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: replicas: must be a number, got "three"`]);
  });

  test('a network peer must be a NetworkPolicyPeer', () => {
    // GIVEN an ipBlock together with a podSelector, and a selector with a typo
    dir.set(DEV, ['networkPeers'], { admin: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }], ingress: [{ podSelecter: {} }] });
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: networkPeers.ingress.0.podSelecter: unknown key`,
      `${join(dir.path, DEV)}: networkPeers.ingress.0: must set podSelector and/or namespaceSelector, or ipBlock alone (a Kubernetes NetworkPolicyPeer)`,
      `${join(dir.path, DEV)}: networkPeers.admin.0: must set podSelector and/or namespaceSelector, or ipBlock alone (a Kubernetes NetworkPolicyPeer)`,
    ]);
  });

  test('clusterDomain must be a DNS subdomain', () => {
    dir.set(DEV, ['clusterDomain'], 'Cluster_Local');
    expect(errorsOf()[0]).toMatch(new RegExp(`^${join(dir.path, DEV).replace(/[.]/g, '\\.')}: clusterDomain: `));
  });

  test('defaultReplication above replicas is rejected', () => {
    dir.set(DEV, ['restate', 'defaultReplication'], 4);
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: restate.defaultReplication: must be between 1 and replicas (3): each copy needs its own node`,
    ]);
  });

  test('defaultReplication of 0 is rejected', () => {
    dir.set(DEV, ['restate', 'defaultReplication'], 0);
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: restate.defaultReplication: must be at least 1, got 0`]);
  });

  test.each([0, 65536])('defaultNumPartitions %d is out of range', (n) => {
    dir.set(DEV, ['restate', 'defaultNumPartitions'], n);
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: restate.defaultNumPartitions: must be between 1 and 65535, got ${n}`]);
  });

  test('clusterName must be a DNS-1123 label', () => {
    dir.set(DEV, ['clusterName'], 'Restate_Dev');
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: clusterName: must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit`,
    ]);
  });

  test('clusterName must differ from the operator namespace', () => {
    dir.set(DEV, ['clusterName'], 'restate-operator');
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: clusterName: must differ from operator.namespace: the operator creates and owns the namespace "restate-operator" and deletes it with the cluster`,
    ]);
  });

  test('image must be a pinned, valid reference', () => {
    dir.set(DEV, ['image'], 'restatedev/restate');
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: image: "restatedev/restate" names no tag or digest; pin one, e.g. restatedev/restate:1.4.4`,
    ]);
  });

  test('storage.size written as a bare number is refused with the unit it needs', () => {
    // GIVEN `size: 40` (YAML reads a number; as a quantity it would be 40 bytes)
    dir.set(DEV, ['storage', 'size'], 40);
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: storage.size: must be a Kubernetes quantity with its unit, e.g. 40Gi or 500Mi, got 40`,
    ]);
  });

  test('a text key given a number or a boolean says to quote it, in the words of the other messages', () => {
    dir.set(DEV, ['clusterName'], 123);
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: clusterName: must be text (YAML reads it unquoted as a number: quote it), got 123`,
    ]);
  });

  test('storage.size must be a Kubernetes quantity', () => {
    dir.set(DEV, ['storage', 'size'], '40GB');
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: storage.size: "40GB" is not a Kubernetes quantity (examples: 40Gi, 500Mi, 100G)`]);
  });

  test.each(['^1.7.4', 'latest', '1.7', 'v1.7.4', '1.8.0', '2.8.0'])(
    'operator.version %s is refused with the list of modelled versions',
    (version) => {
      dir.set(DEV, ['operator', 'version'], version);
      expect(errorsOf()).toEqual([
        `${join(dir.path, DEV)}: operator.version: must be one of 1.7.4, 2.8.1: the operator versions this stack models ` +
          '(exact chart versions; each has its own CRD types in imports/ and its own chart values)',
      ]);
    },
  );

  test('operator.delivery must be a known delivery', () => {
    dir.set(DEV, ['operator', 'delivery'], 'kustomize');
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: operator.delivery: must be one of argocd, flux, helm, got "kustomize"`]);
  });

  test('a missing required key is reported as required', () => {
    dir.set(BASE, ['image'], undefined);
    expect(errorsOf()).toEqual(['(merged): image: is required (set it in base.yaml or an overlay)']);
  });

  test('every problem is reported at once', () => {
    dir.set(DEV, ['replica'], 3).set(DEV, ['image'], 'x:latest').set(DEV, ['clusterName'], 'Dev');
    expect(errorsOf().map((line) => line.split(': ')[1])).toEqual(['clusterName', 'image', 'replica']);
  });

  test('a YAML syntax error names the file, line and column', () => {
    dir.write(DEV, 'clusterName: restate-dev\nreplicas: [3\n');
    const [message] = errorsOf();
    expect(message).toMatch(new RegExp(`^${join(dir.path, DEV)}:3:1: YAML syntax error: `));
  });

  test('a duplicate key is refused with both lines', () => {
    dir.write(DEV, 'replicas: 3\nreplicas: 5\n');
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}:2:1: replicas: duplicate key (first set on line 1); YAML keys must be unique within a mapping`,
    ]);
  });

  test('a file that is not a mapping is rejected', () => {
    dir.write(DEV, '- a\n- b\n');
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: must be a YAML mapping of keys to values`]);
  });

  test('an unknown environment lists the known ones', () => {
    expect(errorsOf('qa', 'vultr')).toEqual([
      `${join(dir.path, 'environments/qa.yaml')}: no such environment "qa"; known: dev, prod, staging`,
    ]);
  });

  test('a misspelled environment or provider gets a "did you mean"', () => {
    // GIVEN / WHEN a typo of each THEN both are named with the likely one
    expect(errorsOf('stagign', 'vulr')).toEqual([
      `${join(dir.path, 'providers/vulr.yaml')}: no such provider "vulr" (did you mean "vultr"?); known: aws, kind, vultr`,
      `${join(dir.path, 'environments/stagign.yaml')}: no such environment "stagign" (did you mean "staging"?); known: dev, prod, staging`,
    ]);
  });

  test('a provider name that is not a plain name is refused before touching the file system', () => {
    expect(errorsOf('dev', '../base')).toEqual([
      '(command line): provider: "../base" is not a valid provider name (lower-case letters, digits, "-")',
    ]);
  });
});

describe('targets.yaml', () => {
  function targetErrors(text: string): string {
    dir.write('targets.yaml', text);
    try {
      loadTargets(dir.path);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected an error');
  }

  test('an unknown provider in the list is rejected', () => {
    expect(targetErrors('targets:\n  - { environment: dev, provider: hetzner }\n')).toBe(
      `${join(dir.path, 'targets.yaml')}: targets.0.provider: unknown provider "hetzner"; known: aws, kind, vultr`,
    );
  });

  test('a misspelled name in the list gets a "did you mean"', () => {
    expect(targetErrors('targets:\n  - { environment: prdo, provider: aws }\n')).toBe(
      `${join(dir.path, 'targets.yaml')}: targets.0.environment: unknown environment "prdo" (did you mean "prod"?); known: dev, prod, staging`,
    );
  });

  test('a duplicate target is rejected', () => {
    expect(targetErrors('targets:\n  - { environment: dev, provider: aws }\n  - { environment: dev, provider: aws }\n')).toBe(
      `${join(dir.path, 'targets.yaml')}: targets.1: dev/aws is listed twice (also targets.0)`,
    );
  });

  test('an empty list is rejected', () => {
    expect(targetErrors('targets: []\n')).toBe(
      `${join(dir.path, 'targets.yaml')}: targets: must be a non-empty list of {environment, provider}`,
    );
  });
});

describe('every other rule has its message', () => {
  test.each<[string, readonly string[], unknown, string]>([
    ['storage.storageClassName', ['storage', 'storageClassName'], 'Fast_SSD', 'must be a DNS-1123 subdomain'],
    ['operator.chart', ['operator', 'chart'], 'https://ghcr.io/restatedev/restate-operator-helm', 'must be an oci:// chart reference'],
    ['operator.releaseName', ['operator', 'releaseName'], `r${'e'.repeat(53)}`, `must be at most 53 characters, got "r${'e'.repeat(53)}"`],
    [
      'operator.namespace',
      ['operator', 'namespace'],
      'Restate',
      'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
    ],
    ['operator.flux.interval', ['operator', 'flux', 'interval'], 'hourly', 'must be a Go duration such as 30s, 10m or 1h'],
    [
      'operator.chartValues.image.pullPolicy',
      ['operator', 'chartValues', 'image', 'pullPolicy'],
      'Sometimes',
      'Invalid option: expected one of "Always"|"IfNotPresent"|"Never", got "Sometimes"',
    ],
    [
      'objectStorage.s3Hostname',
      ['objectStorage', 's3Hostname'],
      'https://ewr1.vultrobjects.com',
      'must be a host name without scheme, e.g. ewr1.vultrobjects.com',
    ],
    ['objectStorage.bucket', ['objectStorage', 'bucket'], 'My_Bucket', 'must be an S3 bucket name'],
    ['objectStorage.prefix', ['objectStorage', 'prefix'], 'a b', 'may only hold letters, digits and . _ / -'],
    ['metadata.store', ['metadata', 'store'], 'etcd', 'must be one of replicated, object-store, got "etcd"'],
    ['snapshots.intervalNumRecords', ['snapshots', 'intervalNumRecords'], 0, 'must be at least 1, got 0'],
    [
      'tracing.endpoint',
      ['tracing', 'endpoint'],
      'otel:4317',
      'must be an http:// or https:// URL such as http://otel-collector.observability.svc:4317',
    ],
    ['provisioning.automated', ['provisioning', 'automated'], 'yes', 'must be true or false, got "yes"'],
  ])('%s', (keyPath, path, value, message) => {
    dir.set(DEV, path, value);
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: ${keyPath}: ${message}`]);
  });

  test('a tracing filter without an endpoint has no effect and is refused', () => {
    dir.set(DEV, ['tracing', 'filter'], 'info');
    expect(errorsOf()).toEqual([`${join(dir.path, DEV)}: tracing.filter: has no effect without tracing.endpoint`]);
  });

  test('an egress target must be pods or an address range', () => {
    dir.set(DEV, ['tracing'], { endpoint: 'http://10.1.2.3:4317', collector: { host: 'otel' } });
    expect(errorsOf()).toEqual([
      `${join(dir.path, DEV)}: tracing.collector: must be either {namespace, podLabels} (pods in the cluster) or {cidr} (an address range)`,
    ]);
  });
});
