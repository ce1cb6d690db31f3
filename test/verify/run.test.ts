import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_FILE } from '../../lib/target-folder/files';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { Deadline } from '../../lib/verify/deadline';
import { verifyTargets } from '../../lib/verify/run';
import { clusterManifest, productConfig } from '../support/restate-fixtures';

// The real restate-server lints each config (inside `unshare -n`); the live run is refused before any sandbox.
const binaries = resolveRestateBinaries();

async function verifyOne(config: string) {
  const dist = mkdtempSync(join(tmpdir(), 'verify-run-'));
  try {
    mkdirSync(join(dist, 'dev', 'kind'), { recursive: true });
    writeFileSync(join(dist, 'dev', 'kind', CLUSTER_FILE), clusterManifest(config));
    const [result] = await verifyTargets({
      targets: [{ environment: 'dev', provider: 'kind' }],
      distDir: dist,
      lintOnly: false,
      deadline: Deadline.in(30_000),
      readyBoundMs: 1000,
      failoverBoundMs: 1000,
      binaries,
    });
    return result;
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
}

describe('which configs the live run takes', () => {
  test('refuses object-store metadata with the reason, after a passing lint', async () => {
    // GIVEN a config that keeps its metadata in object storage (a metadata-client type), as Restate supports it
    const config = productConfig('dev', 'vultr')
      .replace(/roles = \[[^\]]*\]/, 'roles = [ "worker", "admin", "log-server", "http-ingress" ]')
      .replace('auto-provision = false', 'auto-provision = true')
      .replace('addresses = [ "http://restate-cluster:5122/" ]', 'type = "object-store"\npath = "s3://restate/restate-dev/metadata"');

    // WHEN the target is verified with the live run asked for
    const result = await verifyOne(config);

    // THEN the lint passes, and the live run is refused naming the metadata path and why
    expect(result.lint?.ok).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.live).toBeUndefined();
    expect(result.liveNotRun).toContain('metadata-client type object-store at s3://restate/restate-dev/metadata');
    expect(result.liveNotRun).toContain('verify stands in for the snapshot store only');
  });

  test('refuses a snapshot destination the stand-in cannot serve, quoting it', async () => {
    // GIVEN a snapshot destination that is not an s3:// URL
    const config = `${productConfig('dev', 'vultr')}\n[worker.snapshots]\ndestination = "gs://restate/restate-dev/snapshots"\n`;

    // WHEN the target is verified with the live run asked for
    const result = await verifyOne(config);

    // THEN the live run does not start and says why
    expect(result.ok).toBe(false);
    expect(result.live).toBeUndefined();
    expect(result.liveNotRun).toBe(
      'cannot run: snapshot destination "gs://restate/restate-dev/snapshots" is not an s3://bucket/prefix URL',
    );
  });
});
