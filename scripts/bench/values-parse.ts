/**
 * npm run bench:values [-- --keys 20000,40000] [--rounds 3]
 *
 * How long loading one target's values takes when one map holds many keys: a copy of values/ whose dev overlay
 * sets N PodMonitor labels, loaded (read, parsed, merged, validated) in this process. Prints one line per size
 * with the median, minimum and maximum wall time; loading must grow linearly with N. Not part of `npm test`.
 */
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadTargetValues } from '../../lib/values';

const ROOT = resolve(__dirname, '..', '..');

/** A dev overlay whose PodMonitor labels map has `keys` entries (valid label keys and values). */
function overlay(keys: number): string {
  const lines = ['clusterName: restate-dev', 'metrics:', '  podMonitor:', '    labels:'];
  for (let i = 0; i < keys; i++) lines.push(`      bench.example.com/key-${i}: value-${i}`);
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const { values: opts } = parseArgs({
    options: { keys: { type: 'string', default: '20000,40000' }, rounds: { type: 'string', default: '3' } },
  });
  const sizes = opts.keys.split(',').map(Number);
  const rounds = Number(opts.rounds);
  const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-bench-values-'));
  try {
    const valuesDir = join(scratch, 'values');
    cpSync(join(ROOT, 'values'), valuesDir, { recursive: true });
    const file = join(valuesDir, 'environments', 'dev.yaml');
    for (const keys of sizes) {
      writeFileSync(file, overlay(keys));
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const start = performance.now();
        const { values } = loadTargetValues(valuesDir, 'dev', 'vultr');
        times.push(performance.now() - start);
        const loaded = Object.keys(values.metrics.podMonitor.labels ?? {}).length;
        if (loaded !== keys) throw new Error(`expected ${keys} labels, loaded ${loaded}`);
      }
      times.sort((a, b) => a - b);
      const kib = Math.round(statSync(file).size / 1024);
      const ms = (t: number) => `${Math.round(t)} ms`;
      process.stdout.write(
        `${keys} keys (${kib} KiB): median ${ms(times[Math.floor(times.length / 2)])}, min ${ms(times[0])}, max ${ms(times[times.length - 1])}\n`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
