import { join } from 'node:path';
import { loadTargetValues } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

/*
 * Values the API server (or the operator) would refuse later are refused at synth, naming the file and key.
 * Each test sets one bad value in a scratch copy of values/ and asserts the whole error.
 */

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const DEV = 'environments/dev.yaml';
const KIND = 'providers/kind.yaml';
const dev = () => join(dir.path, DEV);
const CHART = ['operator', 'chartValues'];

describe('resource quantities are Kubernetes quantities, not negative', () => {
  test.each([
    ['cpu', 'lots', '"lots" is not a Kubernetes quantity (examples: 500m, 2, 1.5, 512Mi, 4Gi)'],
    ['memory', '1 GB', '"1 GB" is not a Kubernetes quantity (examples: 500m, 2, 1.5, 512Mi, 4Gi)'],
    ['memory', '-5Gi', '"-5Gi" is negative; resources must be 0 or more'],
  ])('resources.requests.%s "%s" is refused', (name, value, message) => {
    // GIVEN a request that is not a quantity WHEN loading THEN it is refused with the key path
    dir.set(DEV, ['resources', 'requests', name], value);
    expect(dir.errorsOf()).toEqual([`${dev()}: resources.requests.${name}: ${message}`]);
  });

  test.each(['500m', '2', '1.5', '512Mi', '1e3', '0.5Gi'])('"%s" is a quantity and loads', (value) => {
    dir.set(DEV, ['resources', 'requests', 'cpu'], value);
    expect(loadTargetValues(dir.path, 'dev', 'vultr').values.resources?.requests?.cpu).toBe(value);
  });

  test('a request above its limit is refused, as the API server would', () => {
    // GIVEN 2 CPUs requested and a limit of 1500m
    dir.set(DEV, ['resources'], { requests: { cpu: '2' }, limits: { cpu: '1500m' } });
    // THEN
    expect(dir.errorsOf()).toEqual([
      `${dev()}: resources.requests.cpu: "2" is more than limits.cpu "1500m"; the API server refuses a request above its limit`,
    ]);
  });

  test('the operator chart resources follow the same rules', () => {
    dir.set(DEV, [...CHART, 'resources', 'limits', 'memory'], 'lots');
    expect(dir.errorsOf()).toEqual([
      `${dev()}: operator.chartValues.resources.limits.memory: "lots" is not a Kubernetes quantity (examples: 500m, 2, 1.5, 512Mi, 4Gi)`,
    ]);
  });
});

describe('int32 fields stay within int32', () => {
  test('replicas beyond 2^31-1 is refused', () => {
    dir.set(DEV, ['replicas'], 2 ** 31 + 1);
    expect(dir.errorsOf()).toEqual([`${dev()}: replicas: must be at most 2147483647 (a Kubernetes int32), got 2147483649`]);
  });

  test('operator replicaCount beyond 2^31-1 is refused', () => {
    dir.set(DEV, [...CHART, 'replicaCount'], 2 ** 31);
    expect(dir.errorsOf()).toEqual([
      `${dev()}: operator.chartValues.replicaCount: must be at most 2147483647 (a Kubernetes int32), got 2147483648`,
    ]);
  });
});

describe('labels and annotations follow the Kubernetes rules', () => {
  const LABELS = ['metrics', 'podMonitor', 'labels'];

  test.each([
    [
      'a b',
      'is not a valid label key: the name part must start and end with a letter or digit and hold only letters, digits, "-", "_" and "."',
    ],
    ['Example.com/x', 'is not a valid label key: the prefix "Example.com" must be a DNS subdomain (lower-case, at most 253 characters)'],
    ['a/b/c', 'is not a valid label key: a key has at most one "/" (prefix/name)'],
    [`${'k'.repeat(64)}`, 'is not a valid label key: the name part is 64 characters; at most 63 are allowed'],
  ])('label key %j is refused', (key, message) => {
    dir.set(DEV, LABELS, { [key]: 'v' });
    expect(dir.errorsOf()).toEqual([`${dev()}: metrics.podMonitor.labels.${key}: ${message}`]);
  });

  test.each([
    [
      'two\nlines',
      '"two\\nlines" a label value must start and end with a letter or digit and hold only letters, digits, "-", "_" and "." (no spaces or newlines)',
    ],
    ['v'.repeat(64), `"${'v'.repeat(64)}" is 64 characters; a label value may have at most 63`],
  ])('label value %j is refused', (value, message) => {
    dir.set(DEV, LABELS, { team: value });
    expect(dir.errorsOf()).toEqual([`${dev()}: metrics.podMonitor.labels.team: ${message}`]);
  });

  test('selector labels (prometheus.podLabels) follow the same rules', () => {
    dir.set(DEV, ['metrics', 'prometheus', 'podLabels'], { 'app name': 'prometheus' });
    expect(dir.errorsOf()[0]).toBe(
      `${dev()}: metrics.prometheus.podLabels.app name: is not a valid label key: the name part must start and end with a letter or digit and hold only letters, digits, "-", "_" and "."`,
    );
  });

  test('an annotation value may span lines, an annotation key may not break the key rules', () => {
    // GIVEN a multi-line annotation value (valid) and a key with a space (invalid)
    dir.set(DEV, [...CHART, 'podAnnotations'], { 'example.com/note': 'line one\nline two', 'bad key': 'x' });
    // THEN only the key is refused
    expect(dir.errorsOf()).toEqual([
      `${dev()}: operator.chartValues.podAnnotations.bad key: is not a valid annotation key: the name part must start and end with a letter or digit and hold only letters, digits, "-", "_" and "."`,
    ]);
  });

  test('annotations above 256 KiB in total are refused', () => {
    dir.set(DEV, [...CHART, 'serviceAccount', 'annotations'], { 'example.com/big': 'x'.repeat(256 * 1024) });
    expect(dir.errorsOf()).toEqual([
      `${dev()}: operator.chartValues.serviceAccount.annotations: annotations total 262159 bytes; Kubernetes allows at most 262144`,
    ]);
  });

  test('label keys that are JavaScript property names (toString, hasOwnProperty) are plain data', () => {
    dir.set(DEV, LABELS, { toString: 'a', hasOwnProperty: 'b', valueOf: 'c' });
    expect(loadTargetValues(dir.path, 'dev', 'vultr').values.metrics.podMonitor.labels).toEqual({
      toString: 'a',
      hasOwnProperty: 'b',
      valueOf: 'c',
    });
  });
});

describe('names the API server checks', () => {
  test('an environment variable name that is not a C identifier is refused', () => {
    dir.set(
      DEV,
      [...CHART, 'env'],
      [
        { name: 'MY-VAR', value: 'x' },
        { name: '1ST', value: 'y' },
      ],
    );
    expect(dir.errorsOf()).toEqual([
      `${dev()}: operator.chartValues.env.0.name: "MY-VAR" is not an environment variable name: letters, digits and "_", not starting with a digit`,
      `${dev()}: operator.chartValues.env.1.name: "1ST" is not an environment variable name: letters, digits and "_", not starting with a digit`,
    ]);
  });

  test('an imagePullSecrets name that is not a DNS subdomain is refused', () => {
    dir.set(DEV, [...CHART, 'imagePullSecrets'], [{ name: 'My_Registry' }]);
    expect(dir.errorsOf()).toEqual([`${dev()}: operator.chartValues.imagePullSecrets.0.name: must be a DNS-1123 subdomain`]);
  });

  test.each(['a b', '..', 'key/with/slash'])('Secret key name %j is refused', (key) => {
    dir.set(DEV, ['objectStorage', 'credentials'], { source: 'existing-secret', secretName: 'creds', accessKeyIdKey: key });
    expect(dir.errorsOf()).toEqual([
      `${dev()}: objectStorage.credentials.accessKeyIdKey: ${JSON.stringify(key)} is not a valid Secret key: 1 to 253 letters, digits, "-", "_" or ".", and not "." or ".."`,
    ]);
  });
});

describe('single-line strings refuse newlines', () => {
  test.each([
    [['restate', 'logFilter'], 'info\nwarn'],
    [['deploy', 'kubeContext'], 'ctx\r'],
    [['gitops', 'revision'], 'HEAD\n'],
  ])('%j', (path, value) => {
    dir.set(DEV, path, value);
    expect(dir.errorsOf()).toEqual([
      `${dev()}: ${path.join('.')}: this value must be a single line without control characters, got ${JSON.stringify(value)}`,
    ]);
  });

  test('objectStorage.region', () => {
    dir.set(KIND, ['objectStorage', 'region'], 'us-east-1\nx');
    expect(dir.errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, KIND)}: objectStorage.region: this value must be a single line without control characters, got "us-east-1\\nx"`,
    ]);
  });
});

describe('the cluster namespace', () => {
  test.each(['default', 'kube-system', 'kube-public', 'kube-node-lease'])(
    'clusterName %s, a namespace every cluster has, is refused',
    (name) => {
      dir.set(DEV, ['clusterName'], name);
      expect(dir.errorsOf()).toEqual([
        `${dev()}: clusterName: must not be "${name}": the operator creates the namespace named after the cluster, and every cluster already has that one (NameConflict)`,
      ]);
    },
  );
});

describe('the SOPS file stays inside the values folder and is fully encrypted', () => {
  const SOPS = 'secrets/kind-minio.sops.yaml';

  test('a sopsFile with ".." is refused', () => {
    dir.set(KIND, ['objectStorage', 'credentials', 'sopsFile'], '../../../etc/x.sops.yaml');
    expect(dir.errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, KIND)}: objectStorage.credentials.sopsFile: must stay inside the values folder: no leading "/" and no ".." segment`,
    ]);
  });

  test('a plain-text data next to encrypted stringData is refused', () => {
    // GIVEN the shipped encrypted file with a plain `data: …` added
    const text = require('node:fs').readFileSync(join(dir.path, SOPS), 'utf8') as string;
    dir.write(SOPS, text.replace('type: Opaque\n', 'type: Opaque\ndata: c2VjcmV0\n'));
    // THEN
    expect(dir.errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: is not fully SOPS-encrypted: data must be a mapping of keys to ENC[…] values, got plain text`,
    ]);
  });

  test('a plain-text value under data is refused by key', () => {
    const text = require('node:fs').readFileSync(join(dir.path, SOPS), 'utf8') as string;
    dir.write(SOPS, text.replace('type: Opaque\n', 'type: Opaque\ndata:\n    EXTRA: c2VjcmV0\n'));
    expect(dir.errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: is not fully SOPS-encrypted: data.EXTRA is not encrypted (not ENC[AES256_GCM,…])`,
    ]);
  });

  test('a symbolic link that leads out of the values folder is refused', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const outside = join(dir.path, '..', 'outside.sops.yaml');
    fs.copyFileSync(join(dir.path, SOPS), outside);
    fs.rmSync(join(dir.path, SOPS));
    fs.symlinkSync(outside, join(dir.path, SOPS));
    expect(dir.errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: resolves to ${fs.realpathSync(outside)}, outside the values folder (objectStorage.credentials.sopsFile must stay inside it)`,
    ]);
  });
});
