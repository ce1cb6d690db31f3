import type { Machine } from './machine';
import { formatMs, type Stats } from './timing';

/** Everything one benchmark run measured. */
export interface Results {
  readonly date: string;
  readonly machine: Machine;
  readonly rounds: number;
  readonly targets: number;
  readonly stockAppCommand: string;
  /** Wall times of the alternated commands, by row label. */
  readonly synth: ReadonlyArray<{ readonly label: string; readonly stats: Stats }>;
  readonly stockStats: Stats;
  readonly oursStats: Stats;
  /** The same work without npm: `node scripts/bundle-cache/run.js main.ts`. */
  readonly directStats: Stats;
  /** `kubectl kustomize`, one overlay per target: the yardstick. */
  readonly kustomizeStats: Stats;
  /** `npm run` of a script `node -e 0`: what any npm script that starts Node costs before doing anything. */
  readonly npmFloorStats: Stats;
  /** How much of `npm run synth` is npm's own start-up (ours − direct). */
  readonly npmStartMs: number;
  readonly marginal: { readonly count: number; readonly one: Stats; readonly many: Stats; readonly perTargetMs: number };
  readonly peakRssMiB: number;
  readonly tests?: { readonly ms: number; readonly summary: string; readonly passed: boolean };
  /** Checks that the compared commands did the same work. */
  readonly checks: readonly string[];
}

const GOALS = { ratio: 1 / 3, perTargetMs: 30, testsMs: 20_000, rssMiB: 250 };

function verdict(ok: boolean): string {
  return ok ? 'met' : '**not met**';
}

/** The markdown written to bench/RESULTS.md (and printed). */
export function renderResults(r: Results): string {
  const m = r.machine;
  const ratio = r.oursStats.median / r.stockStats.median;
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${r.date}: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node.js ${m.node};`,
    `1-minute load average at the start: ${m.loadAtStart}. Wall times; each command ran once to warm up, then ${r.rounds} rounds`,
    'in which the commands ran one after another, so a change in load hits them alike.',
    '',
    '## Synth',
    '',
    '| command | median | min | max |',
    '| --- | ---: | ---: | ---: |',
    ...r.synth.map(({ label, stats }) => `| ${label} | ${formatMs(stats.median)} | ${formatMs(stats.min)} | ${formatMs(stats.max)} |`),
    '',
    `- **Ratio**: all ${r.targets} targets with \`npm run synth\` take ${ratio.toFixed(2)} of stock \`cdk8s synth\` of one target`,
    `  (goal ≤ ${GOALS.ratio.toFixed(2)}: ${verdict(ratio <= GOALS.ratio)}). Stock = \`cdk8s synth\` in a scratch copy of this app whose`,
    `  cdk8s.yaml has cdk8s-cli's TypeScript template runner: \`app: ${r.stockAppCommand}\`.`,
    `- **Against kustomize**: \`npm run synth\` ${formatMs(r.oursStats.median)} against \`kubectl kustomize\` of ${r.targets} overlays`,
    `  ${formatMs(r.kustomizeStats.median)} (goal: at most that: ${verdict(r.oursStats.median <= r.kustomizeStats.median)}). npm's own start-up is`,
    `  ${formatMs(r.npmStartMs)} of it; the same work without npm (as the mise tasks run it) takes ${formatMs(r.directStats.median)}`,
    `  (${verdict(r.directStats.median <= r.kustomizeStats.median)} without npm). \`npm run\` of a script \`node -e 0\`, which does nothing, takes`,
    `  ${formatMs(r.npmFloorStats.median)}: ${
      r.npmFloorStats.median >= r.kustomizeStats.median
        ? '**no npm script that starts Node can meet this goal on this machine**'
        : `it leaves synth's own work ${formatMs(r.kustomizeStats.median - r.npmFloorStats.median)} under that goal`
    }.`,
    `- **Marginal cost per target**: ${r.marginal.perTargetMs.toFixed(1)} ms (goal < ${GOALS.perTargetMs} ms: ${verdict(r.marginal.perTargetMs < GOALS.perTargetMs)}),`,
    `  from one process synthesizing ${r.marginal.count} targets (median ${formatMs(r.marginal.many.median)}) against one target`,
    `  (median ${formatMs(r.marginal.one.median)}): (T${r.marginal.count} − T1) / ${r.marginal.count - 1}.`,
    `- **Peak RSS** of a full synth: ${r.peakRssMiB.toFixed(0)} MiB (goal < ${GOALS.rssMiB} MiB: ${verdict(r.peakRssMiB < GOALS.rssMiB)}).`,
    ...(r.tests
      ? [
          `- **Tests** (\`npm run test:unit\`, every test except \`*.live.test.ts\`, empty jest cache): ${formatMs(r.tests.ms)}`,
          `  (goal < ${GOALS.testsMs / 1000} s: ${verdict(r.tests.ms < GOALS.testsMs)})${r.tests.passed ? '' : ' **with failures**'}; ${r.tests.summary}.`,
        ]
      : ['- **Tests**: skipped (`--skip-tests`).']),
    '',
    '## Same work',
    '',
    ...r.checks.map((check) => `- ${check}`),
    '',
  ];
  return lines.join('\n');
}
