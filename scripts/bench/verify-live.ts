/**
 * npm run bench:verify -- --label NAME [--target ENV/PROVIDER ...] [--on model|control-plane ...] [--rounds 3]
 *
 * Times verify's live check of each target, as a user runs it (`npm run verify -- --environment E --provider P`,
 * lint included), `--rounds` times per target, alternating the targets round by round so that a change in machine
 * load hits all alike. Each run's wall time, its result and the figures its report prints (ready, fail-over) are
 * recorded under `--label` in bench/verify-live.json, with the commit, the machine and its load; bench/VERIFY.md is
 * rewritten from every recorded label, so that one label's figures (a base, say the model of today) stand beside
 * another's (the same check on a new base) measured on the same machine. A failed run is recorded as failed, and
 * timed all the same. With `--on` given more than once (`--on model --on control-plane`), each target runs on each
 * base in every round, alternating, and the runs on a base other than the model are recorded as
 * `<target> on <base>`. Not part of `npm test`: one round of one target takes 1.5-2.5 minutes on 2 cores.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, type Machine } from './machine';
import { formatMs, runTimed, stats } from './timing';

const ROOT = resolve(__dirname, '..', '..');
const JSON_FILE = join(ROOT, 'bench', 'verify-live.json');
const RESULTS_FILE = join(ROOT, 'bench', 'VERIFY.md');
/** verify's own deadline for one live target is 30 + 240 s; the benchmark gives the process a little more. */
const RUN_TIMEOUT_MS = 300_000;

/** One timed run of one target's live check. */
export interface VerifyRun {
  readonly ms: number;
  readonly ok: boolean;
  /** The report's figures, in seconds, when it printed them. */
  readonly readySeconds?: number;
  readonly failoverSeconds?: number;
  /** Why a failed run failed: verify's last line, or how the process ended. */
  readonly failure?: string;
}

/** Every run of one label: what ran, on what, and how long each took. */
export interface VerifyBench {
  readonly label: string;
  readonly date: string;
  readonly commit: string;
  readonly machine: Machine;
  readonly loadAtEnd: number;
  readonly targets: Readonly<Record<string, readonly VerifyRun[]>>;
}

/** The figures of verify's closing report (`ready:` and `fail-over:` lines), as printed by lib/verify/report.ts. */
export function reportFigures(output: string): Pick<VerifyRun, 'readySeconds' | 'failoverSeconds'> {
  const seconds = (pattern: RegExp) => {
    const match = pattern.exec(output);
    return match ? Number(match[1]) : undefined;
  };
  return {
    readySeconds: seconds(/^\s*ready:\s+([0-9.]+) s from start/m),
    failoverSeconds: seconds(/^\s*fail-over:\s+([0-9.]+) s after SIGKILL/m),
  };
}

/** Why a run failed, as verify's report says it: the `live:`/`lint:` FAILED line and the line under it, else the last line. */
export function failureOf(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const at = lines.findIndex((line) => /^\s*(live|lint):\s+FAILED/.test(line));
  if (at < 0) return lines.pop()?.trim() ?? '';
  return lines
    .slice(at, at + 2)
    .map((line) => line.trim())
    .join(' ');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The Markdown of every recorded label, one table per label, targets in the order first recorded. */
export function renderVerifyBench(benches: readonly VerifyBench[]): string {
  const lines = [
    '# Verify live check benchmark',
    '',
    'Written by `npm run bench:verify` (scripts/bench/verify-live.ts) from bench/verify-live.json: the wall time of',
    "`npm run verify -- --environment E --provider P` (lint and live check) per round, and the report's own figures.",
    'Compare labels measured on the same machine on the same day only: load moves every figure.',
    '',
  ];
  for (const bench of benches) {
    const m = bench.machine;
    lines.push(
      `## ${bench.label}`,
      '',
      `${bench.date}, commit ${bench.commit.slice(0, 12)}: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node.js ${m.node}; ` +
        `1-minute load average ${m.loadAtStart} at the start, ${bench.loadAtEnd} at the end.`,
      '',
      '| target | runs | passed | wall median | min | max | ready (each run) | fail-over (each run) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    );
    for (const [target, runs] of Object.entries(bench.targets)) {
      const wall = stats(runs.map((r) => r.ms));
      const each = (pick: (r: VerifyRun) => number | undefined) =>
        runs.map((r) => (pick(r) === undefined ? '–' : `${pick(r)} s`)).join(', ');
      lines.push(
        `| ${target} | ${runs.length} | ${runs.filter((r) => r.ok).length} | ${seconds(wall.median)} | ${seconds(wall.min)} | ` +
          `${seconds(wall.max)} | ${each((r) => r.readySeconds)} | ${each((r) => r.failoverSeconds)} |`,
      );
    }
    const failures = Object.entries(bench.targets).flatMap(([target, runs]) =>
      runs.flatMap((r, i) => (r.ok ? [] : [`- ${target}, run ${i + 1}: ${r.failure}`])),
    );
    lines.push('', ...(failures.length > 0 ? ['Failed runs:', ...failures, ''] : []));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      label: { type: 'string' },
      target: { type: 'string', multiple: true },
      rounds: { type: 'string', default: '3' },
      on: { type: 'string', multiple: true },
    },
  });
  const rounds = Number(values.rounds);
  if (!values.label || !Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(
      'usage: npm run bench:verify -- --label NAME [--target ENV/PROVIDER ...] [--on model|control-plane ...] [--rounds N (>= 1)]\n',
    );
    process.exit(2);
  }
  const targets = values.target ?? ['staging/vultr'];
  for (const target of targets) {
    if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(target)) {
      process.stderr.write(`bench: --target ${target}: must be ENVIRONMENT/PROVIDER, e.g. staging/vultr\n`);
      process.exit(2);
    }
  }
  const bases = values.on ?? ['model'];
  const unknown = bases.find((b) => b !== 'model' && b !== 'control-plane');
  if (unknown) {
    process.stderr.write(`bench: --on ${unknown}: the bases are model and control-plane\n`);
    process.exit(2);
  }
  const runsOf = targets.flatMap((target) =>
    bases.map((base) => ({ target, base, key: base === 'model' ? target : `${target} on ${base}` })),
  );
  const machine = describeMachine();
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const runs: Record<string, VerifyRun[]> = Object.fromEntries(runsOf.map((r) => [r.key, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const { target, base, key } of runsOf) {
      const [environment, provider] = target.split('/');
      const on = base === 'model' ? [] : ['--on', base];
      const run = runTimed(
        {
          name: key,
          program: process.execPath,
          args: ['scripts/bundle-cache/run.js', 'lib/verify/cli.ts', '--environment', environment!, '--provider', provider!, ...on],
          cwd: ROOT,
        },
        RUN_TIMEOUT_MS,
      );
      const ok = run.status === 0;
      runs[key]!.push({
        ms: Math.round(run.ms),
        ok,
        ...reportFigures(run.output),
        ...(ok ? {} : { failure: `${run.failure}: ${failureOf(run.output)}` }),
      });
      process.stderr.write(`bench: round ${round}/${rounds}: ${key} ${formatMs(run.ms)} ${ok ? 'ok' : `FAILED (${run.failure})`}\n`);
    }
  }
  const bench: VerifyBench = {
    label: values.label,
    date: new Date().toISOString().slice(0, 10),
    commit,
    machine,
    loadAtEnd: Math.round(loadavg()[0] * 100) / 100,
    targets: runs,
  };
  const recorded: VerifyBench[] = existsSync(JSON_FILE) ? JSON.parse(readFileSync(JSON_FILE, 'utf8')) : [];
  const all = [...recorded.filter((b) => b.label !== bench.label), bench];
  writeFileSync(JSON_FILE, `${JSON.stringify(all, null, 2)}\n`);
  writeFileSync(RESULTS_FILE, renderVerifyBench(all));
  process.stderr.write(`bench: wrote ${RESULTS_FILE}\n`);
}

if (require.main === module) main();
