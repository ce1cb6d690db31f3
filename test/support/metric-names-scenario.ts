/**
 * Runs inside the verify sandbox (loopback only) for test/values/restate-metrics.live.test.ts: starts each given
 * restate-server as a single node (it provisions itself), waits until its partitions run, and returns the metric
 * names its `/metrics` serves.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedMain } from '../../lib/verify/isolated-main';
import { ManagedProcess } from '../../lib/verify/managed-process';

export interface MetricNamesInput {
  /** version → the native restate-server binary */
  readonly servers: Readonly<Record<string, string>>;
}

/** version → the sorted metric names (without `_bucket`/`_sum`/`_count` forms removed: as served). */
export type MetricNamesRecord = Record<string, string[]>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scrape(): Promise<string | undefined> {
  try {
    const response = await fetch('http://127.0.0.1:5122/metrics');
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

const namesOf = (text: string) =>
  [...new Set(text.split('\n').flatMap((line) => (line === '' || line.startsWith('#') ? [] : [line.replace(/[{ ].*$/, '')])))].sort();

isolatedMain<MetricNamesInput, MetricNamesRecord>(async (input, context) => {
  const record: MetricNamesRecord = {};
  for (const [version, binary] of Object.entries(input.servers)) {
    const dir = join(context.workDir, `n-${version}`);
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    const server = new ManagedProcess({
      label: `restate-server ${version}`,
      file: binary,
      args: ['--base-dir', join(dir, 'data'), '--node-name', 'n1', '--cluster-name', 'metrics'],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: join(dir, 'tmp') },
      logFile: join(dir, 'server.log'),
    });
    context.onExit(() => server.stopSync());
    // partitions run once the leader gauge (either form) reports every partition led
    let names: string[] = [];
    for (let i = 0; i < 120 && !context.deadline.expired(); i++) {
      const text = await scrape();
      if (text && /^restate_num_partitions\{[^}]*\} [1-9]/m.test(text) && /^restate_failure_detector_nodes_total/m.test(text)) {
        await sleep(3000); // one more round of the gauges the partition manager sets
        names = namesOf((await scrape()) ?? text);
        break;
      }
      await sleep(500);
    }
    await server.stop('SIGKILL');
    if (names.length === 0) throw new Error(`restate-server ${version} served no partition metrics in time`);
    context.progress(`restate-server ${version}: ${names.length} metric names`);
    record[version] = names;
  }
  return record;
});
