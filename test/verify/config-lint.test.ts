import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestError } from '../../lib/target-folder/manifest-error';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { CLUSTER_FILE } from '../../lib/target-folder/files';
import { parseClusterManifest, readClusterUnderTest } from '../../lib/verify/cluster-spec';
import { formatLintProblems } from '../../lib/verify/config-compare';
import { lintClusterConfig, type LintResult } from '../../lib/verify/config-lint';
import { clusterManifest, clusterWith, productConfig } from '../support/restate-fixtures';

// The real restate-server from npm, run with --dump-config inside `unshare -n` (loopback only).
const { server } = resolveRestateBinaries();

function lint(config: string, overrides: Parameters<typeof clusterWith>[1] = {}): LintResult {
  return lintClusterConfig(clusterWith(config, overrides), { serverBinary: server });
}

describe('the config lint', () => {
  test('passes the config the product ships', () => {
    // GIVEN the server config rendered for dev/vultr
    const config = productConfig('dev', 'vultr');

    // WHEN it is linted against the real server in a pod's environment
    const result = lint(config);

    // THEN every written key takes effect as written (how long it takes is measured by verify's report, not here)
    expect(formatLintProblems(result.problems)).toBe('');
    expect(result.ok).toBe(true);
    expect(result.checkedKeys).toBe(6);
    expect(result.effective['default-num-partitions']).toBe(128);
  });

  test('fails on a key removed from the server, naming it and saying what replaced it', () => {
    // GIVEN the shipped config plus [metadata-server] type, removed in Restate 1.4 and silently ignored since
    const config = `${productConfig()}\n[metadata-server]\ntype = "replicated"\n`;

    // WHEN it is linted
    const result = lint(config);

    // THEN the lint fails on exactly that key
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.keyPath)).toEqual(['metadata-server.type']);
    expect(formatLintProblems(result.problems)).toMatch(/metadata-server\.type: has no effect: removed in Restate 1\.4/);
  });

  test('fails on a misspelled key, naming it and the key that was probably meant', () => {
    // GIVEN a config where default-num-partitions lost a letter
    const config = productConfig().replace('default-num-partitions', 'default-num-partition');

    // WHEN it is linted
    const result = lint(config);

    // THEN the misspelled key is named, with the real one as a suggestion
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.keyPath)).toEqual(['default-num-partition']);
    expect(formatLintProblems(result.problems)).toContain('default-num-partition: has no effect');
    expect(formatLintProblems(result.problems)).toContain('did you mean default-num-partitions?');
  });

  test('reports every key without effect at once, including whole unknown tables', () => {
    // GIVEN a removed key, a misspelled key and a misspelled table name
    const config = `${productConfig().replace('auto-provision', 'auto-provison')}\n[metadata-server]\ntype = "replicated"\n\n[bifrots]\ndefault-provider = "replicated"\n`;

    // WHEN it is linted
    const message = formatLintProblems(lint(config).problems);

    // THEN each is named on its own line
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^ {2}- auto-provison: has no effect: .*did you mean auto-provision\?$/),
      expect.stringMatching(/^ {2}- metadata-server\.type: has no effect/),
      expect.stringMatching(
        /^ {2}- bifrots: has no effect, nor has anything in this table \(holding default-provider\).*did you mean bifrost\?$/,
      ),
    ]);
  });

  test('fails on a key that the operator environment overrides, naming the variable', () => {
    // GIVEN a config that sets its own cluster name; the operator sets RESTATE_CLUSTER_NAME from the CR
    const config = `cluster-name = "my-cluster"\n${productConfig()}`;

    // WHEN it is linted for a RestateCluster named restate-dev
    const result = lint(config);

    // THEN the key is reported as overridden in the pod
    expect(result.problems).toEqual([
      {
        keyPath: 'cluster-name',
        message:
          'is overridden in the pod: written "my-cluster", but the environment sets RESTATE_CLUSTER_NAME="restate-dev" (effective "restate-dev")',
      },
    ]);
  });

  test('fails on a key that spec.compute.env overrides', () => {
    // GIVEN the shipped config and a CR whose env sets the replication to 1
    const result = lint(productConfig(), { env: [{ name: 'RESTATE_DEFAULT_REPLICATION', value: '1' }] });

    // THEN default-replication is reported as not what was written
    expect(result.problems.map((p) => p.keyPath)).toEqual(['default-replication']);
    expect(result.problems[0].message).toContain('RESTATE_DEFAULT_REPLICATION="1"');
  });

  test('accepts another notation of the same value', () => {
    // GIVEN values the server prints differently: a duration, a replication property, a URL without "/"
    const config = [
      'shutdown-timeout = "90s"',
      'default-replication = "{node: 2}"',
      'roles = ["http-ingress", "worker", "admin", "log-server", "metadata-server"]',
      '[metadata-client]',
      'addresses = ["http://restate-cluster:5122"]',
    ].join('\n');

    // WHEN it is linted
    const result = lint(config);

    // THEN nothing is reported
    expect(formatLintProblems(result.problems)).toBe('');
  });

  test("reports a config the server refuses, with the server's reason", () => {
    // GIVEN an unknown role, which the server rejects
    const result = lint('roles = ["worker", "wrker"]\n');

    // THEN the lint fails with the server's message
    expect(result.ok).toBe(false);
    expect(result.problems[0].message).toMatch(/the server refuses the config.*wrker/s);
  });
});

describe('reading what ships', () => {
  let dist: string;
  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'restate-verify-dist-'));
  });
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  test('takes the RestateCluster from the target folder of the synthesized output', () => {
    // GIVEN a synthesized dev/vultr target
    mkdirSync(join(dist, 'dev', 'vultr'), { recursive: true });
    writeFileSync(join(dist, 'dev', 'vultr', CLUSTER_FILE), clusterManifest(productConfig(), 3, 'restate-dev'));

    // WHEN verify reads it
    const cluster = readClusterUnderTest(dist, { environment: 'dev', provider: 'vultr' });

    // THEN it has the name, replicas, image and the config text verbatim
    expect(cluster).toMatchObject({
      name: 'restate-dev',
      clusterName: 'restate-dev',
      replicas: 3,
      image: 'restatedev/restate:1.4',
      env: [],
    });
    expect(cluster.config).toBe(productConfig());
  });

  test('says to synthesize first when the target folder is missing', () => {
    expect(() => readClusterUnderTest(dist, { environment: 'dev', provider: 'vultr' })).toThrow(
      /0001-cluster\.k8s\.yaml: missing: synthesize the target first \(npm run synth -- --environment dev --provider vultr\)/,
    );
  });

  test('rejects a manifest without a server config', () => {
    // GIVEN a RestateCluster whose spec.config is blank
    const manifest = clusterManifest('  \n');
    // THEN reading it fails, naming the file and the key
    expect(() => parseClusterManifest(manifest, 'x.yaml')).toThrow(ManifestError);
    expect(() => parseClusterManifest(manifest, 'x.yaml')).toThrow('x.yaml: spec.config: missing');
  });
});
