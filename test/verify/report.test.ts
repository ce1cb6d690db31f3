import { formatTargetReport } from '../../lib/verify/report';
import type { TargetVerification } from '../../lib/verify/run';
import { clusterWith } from '../support/restate-fixtures';

describe('the verify report of a target with snapshots', () => {
  test('says the snapshots went to a local S3 stand-in and what that does not prove', () => {
    // GIVEN a passed live run whose snapshots landed in the stand-in
    const result: TargetVerification = {
      target: { environment: 'dev', provider: 'kind' },
      cluster: clusterWith('default-num-partitions = 128\n'),
      live: {
        ok: true,
        steps: [{ name: 'snapshots land', ok: true, detail: 'yes', ms: 1 }],
        snapshots: {
          destination: 's3://restate/restate-dev/snapshots',
          endpoint: 'http://127.0.0.200:9000',
          partitions: [0, 1, 4],
          writers: ['restate-0', 'restate-1', 'restate-2'],
          objects: 9,
          bytes: 9000,
          example: 'restate-dev/snapshots/0/lsn_2-snap_x/metadata.json',
          restatectlMs: 900,
        },
      },
      ok: true,
    };

    // WHEN its report is formatted
    const report = formatTargetReport(result, { server: '1.7.12', restatectl: '1.7.12' });

    // THEN one line names the partitions, their writers, the destination and the stand-in, and its limits
    const line = report.split('\n').find((l) => l.startsWith('  snapshots:'));
    expect(line).toContain('partitions 0, 1, 4 (written by restate-0, restate-1, restate-2)');
    expect(line).toContain('s3://restate/restate-dev/snapshots in a local S3 STAND-IN (s3rver at http://127.0.0.200:9000');
    expect(line).toContain('not the real store (endpoint, credentials, conditional writes, consistency)');
  });
});
