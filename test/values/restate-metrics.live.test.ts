import { join } from 'node:path';
import { exportsMetric, RESTATE_METRICS, type RestateMetric, restateVersionOfImage } from '../../lib/values';
import { binaryVersion, resolveRestateBinaries } from '../../lib/verify/binaries';
import { clusterHostsFile } from '../../lib/verify/hosts';
import { olderServerBinary } from '../../lib/verify/older-servers';
import { runInSandbox } from '../../lib/verify/sandbox';
import type { MetricNamesInput, MetricNamesRecord } from '../support/metric-names-scenario';

/**
 * The table of lib/values/restate-metrics.ts against the real servers npm serves: each one a single node in the
 * loopback sandbox, its /metrics scraped once its partitions run.
 */
describe("Restate's metrics per version, live", () => {
  let served: MetricNamesRecord;
  const current = resolveRestateBinaries().server;

  beforeAll(async () => {
    // GIVEN 1.5.3 and 1.6.1 (fetched as the rolling-upgrade scenario fetches them) and the project's own server
    const servers = { '1.5.3': olderServerBinary('1.5.3'), '1.6.1': olderServerBinary('1.6.1'), [binaryVersion(current)]: current };
    // WHEN each runs alone and its /metrics is read
    const outcome = await runInSandbox<MetricNamesInput, MetricNamesRecord>({
      entry: join(__dirname, '..', 'support', 'metric-names-scenario.ts'),
      input: { servers },
      hosts: clusterHostsFile(1, 'metrics'),
      deadlineMs: 240_000,
      output: 'capture',
    });
    if (!outcome.result.ok) throw new Error(`scenario failed: ${outcome.result.error}\n${outcome.log}`);
    served = outcome.result.value;
  }, 300_000);

  test('every metric the table says a version exports is served by it, and none it says is missing', () => {
    const seen: string[] = [];
    for (const [version, names] of Object.entries(served)) {
      const v = restateVersionOfImage(`r:${version}`)!;
      for (const metric of Object.keys(RESTATE_METRICS) as RestateMetric[]) {
        // at 1.6.x the snapshot age is set only once a partition has a snapshot; this node takes none
        if (metric === 'restate_partition_snapshot_age_seconds' && version.startsWith('1.6.')) continue;
        expect([version, metric, names.includes(metric)]).toEqual([version, metric, exportsMetric(v, metric)]);
        seen.push(`${version} ${metric}`);
      }
    }
    expect(Object.keys(served)).toEqual(['1.5.3', '1.6.1', '1.7.12']);
    expect(seen).toHaveLength(3 * Object.keys(RESTATE_METRICS).length - 1);
  });
});
