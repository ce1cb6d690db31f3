/**
 * npm run bench [-- --rounds N] [--skip-tests]
 *
 * Measures synth against stock `cdk8s synth` side by side, the marginal cost per target, peak memory and the
 * cold test-suite time, and writes bench/RESULTS.md. Takes one to three minutes; not part of `npm test`.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTargets, targetDir } from '../../lib/values';
import { describeMachine } from './machine';
import { prepareKustomizeOverlays } from './kustomize';
import { prepareManyTargets } from './many-targets';
import { renderResults, type Results } from './results';
import { prepareStockApp } from './stock-app';
import { alternate, type Command, formatMs, runTimed, timeOnce } from './timing';

const ROOT = resolve(__dirname, '..', '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const REPORT_RSS = join(ROOT, 'scripts', 'bench', 'report-rss.js');
const RESULTS_FILE = join(ROOT, 'bench', 'RESULTS.md');
const MANY = 20;

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** Every file below `dir` with its bytes, keyed by relative path. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

function sameFiles(a: string, b: string): boolean {
  const [fa, fb] = [files(a), files(b)];
  return fa.size > 0 && fa.size === fb.size && [...fa].every(([name, bytes]) => fb.get(name) === bytes);
}

function yesNo(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}

function main(): void {
  const { values: opts } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, 'skip-tests': { type: 'boolean', default: false } },
  });
  const rounds = Number(opts.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be a whole number from 1 to 20');

  const machine = describeMachine();
  const shipped = loadTargets(join(ROOT, 'values'));
  const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-bench-'));
  const stock = prepareStockApp(ROOT, shipped[0]);
  const many = prepareManyTargets(join(ROOT, 'values'), shipped, MANY);
  const kustomize = prepareKustomizeOverlays(join(ROOT, 'dist'), shipped.map(targetDir));
  try {
    const out = (name: string) => join(scratch, name);
    const npmSynth = (name: string, cwd: string, env: Record<string, string> = {}): Command => ({
      name,
      program: 'npm',
      args: ['run', 'synth', '--', '--outdir', out(name)],
      cwd,
      env: { BUNDLE_CACHE_VERBOSE: '1', ...env },
    });
    /** Records, per run of a command, which bundles it built: 'app', 'vendor', both ('app vendor') or none (''). */
    const rebuilds = new Map<string, string[]>();
    const watched = (command: Command, before?: () => void): Command => ({
      ...command,
      before,
      onOutput: (output) => {
        const list = rebuilds.get(command.name) ?? [];
        const built = ['app', 'vendor'].filter((bundle) => new RegExp(`^bundle-cache: building the ${bundle} bundle`, 'm').test(output));
        list.push(built.join(' '));
        rebuilds.set(command.name, list);
      },
    });

    // The cached path, as users run it.
    const ours = watched(npmSynth('ours', ROOT));
    // Right after editing a source: in the stock copy (it has the same sources and scripts), a comment is
    // appended to lib/stack/stack.ts before each run; the vendor bundle must be reused.
    let edits = 0;
    const edited = watched(npmSynth('edited', stock.dir, { BUNDLE_CACHE_DIR: out('edited-cache') }), () =>
      appendFileSync(join(stock.dir, 'lib', 'stack', 'stack.ts'), `// bench edit ${++edits}\n`),
    );
    // A fresh clone or a dependency change: empty cache, the vendor bundle built.
    const coldCache = out('cold-cache');
    const cold = watched(npmSynth('cold', ROOT, { BUNDLE_CACHE_DIR: coldCache }), () =>
      rmSync(coldCache, { recursive: true, force: true }),
    );
    const viaTsx = npmSynth('tsx', ROOT, { BUNDLE_CACHE: 'off' });
    // What npm runs, without npm's own start-up: shows how much of the total is npm.
    const withoutNpm: Command = { name: 'direct', program: process.execPath, args: [RUN, 'main.ts', '--outdir', out('direct')], cwd: ROOT };
    const bare: Command = { name: 'node', program: process.execPath, args: ['-e', '0'], cwd: ROOT };
    // The floor of any npm script that starts Node: `npm run` of `node -e 0`, in a scratch package.
    const floorDir = out('npm-floor');
    mkdirSync(floorDir);
    writeFileSync(join(floorDir, 'package.json'), '{ "name": "npm-floor", "private": true, "scripts": { "floor": "node -e 0" } }\n');
    const npmFloor: Command = { name: 'npm-floor', program: 'npm', args: ['run', 'floor'], cwd: floorDir };

    progress(`machine: ${machine.cpus} CPUs, ${machine.cpuModel}, load ${machine.loadAtStart}; stock copy in ${stock.dir}`);
    const synth = alternate([stock.command, ours, withoutNpm, edited, cold, viaTsx, kustomize.command, bare, npmFloor], rounds, progress);
    // The first run of each is the untimed warm-up.
    const timedRebuilds = (name: string) => (rebuilds.get(name) ?? []).slice(1);

    progress(`marginal cost: ${MANY} targets against 1, in one process each`);
    const direct = (name: string, valuesDir: string): Command => ({
      name,
      program: process.execPath,
      args: [RUN, 'main.ts', '--values-dir', valuesDir, '--outdir', out(name)],
      cwd: ROOT,
    });
    const marginalRuns = alternate([direct('one', many.one), direct('many', many.many)], Math.max(rounds, 7), progress);
    const [one, manyStats] = [marginalRuns.get('one')!, marginalRuns.get('many')!];

    progress('peak RSS of a full synth');
    const rssFile = out('rss');
    const rssKiB = Array.from({ length: 3 }, () => {
      timeOnce({
        name: 'rss',
        program: process.execPath,
        args: ['--require', REPORT_RSS, RUN, 'main.ts', '--outdir', out('rss-out')],
        cwd: ROOT,
        env: { BENCH_RSS_FILE: rssFile },
      });
      return Number(readFileSync(rssFile, 'utf8'));
    });

    let tests: Results['tests'];
    if (!opts['skip-tests']) {
      progress('test suite without live runs, empty jest cache (npm run test:unit)');
      const cache = out('jest-cache');
      const run = runTimed(
        { name: 'tests', program: 'npm', args: ['run', 'test:unit', '--', '--ci', '--cacheDirectory', cache], cwd: ROOT },
        600_000,
      );
      const summary = /^Tests:\s+(.+)$/m.exec(run.output)?.[1].trim() ?? `no summary (${run.failure ?? 'exit 0'})`;
      tests = { ms: run.ms, summary, passed: run.status === 0 };
    }

    const firstDir = targetDir(shipped[0]);
    const checks = [
      `Timed cached runs that built a bundle (app or vendor): ${timedRebuilds('ours').filter(Boolean).length} of ${rounds}.`,
      'Timed runs after an edit that built the app bundle and reused the vendor bundle: ' +
        `${timedRebuilds('edited').filter((what) => what === 'app').length} of ${rounds}; ` +
        `with an empty cache, that built both: ${timedRebuilds('cold').filter((what) => what === 'app vendor').length} of ${rounds}.`,
      `Stock output of ${firstDir} is byte-identical to ours: ${yesNo(sameFiles(stock.outdir, join(out('ours'), firstDir)))}.`,
      `\`npm run synth\` (cached bundle) and \`BUNDLE_CACHE=off npm run synth\` (tsx) wrote byte-identical output: ${yesNo(sameFiles(out('ours'), out('tsx')))}.`,
      `The runs after an edit and with an empty cache wrote the same output too: ${yesNo(sameFiles(out('ours'), out('edited')) && sameFiles(out('ours'), out('cold')))}.`,
      `That output is byte-identical to the committed dist/: ${yesNo(sameFiles(out('ours'), join(ROOT, 'dist')))}.`,
      `The ${MANY}-target run wrote ${MANY} target folders: ${yesNo(
        readdirSync(out('many'))
          .filter((e) => !e.startsWith('.'))
          .flatMap((e) => readdirSync(join(out('many'), e))).length === MANY,
      )}.`,
    ];

    const results: Results = {
      date: new Date().toISOString().slice(0, 10),
      machine,
      rounds,
      targets: shipped.length,
      stockAppCommand: stock.appCommand,
      synth: [
        { label: `stock \`cdk8s synth\` (ts-node), 1 target (${firstDir})`, stats: synth.get('stock')! },
        { label: `\`npm run synth\`, all ${shipped.length} targets`, stats: synth.get('ours')! },
        { label: `the same without npm: \`node scripts/bundle-cache/run.js main.ts\``, stats: synth.get('direct')! },
        { label: `\`npm run synth\`, all ${shipped.length} targets, right after editing a source`, stats: synth.get('edited')! },
        {
          label: `\`npm run synth\`, all ${shipped.length} targets, empty cache: fresh clone or new dependencies (vendor bundle built)`,
          stats: synth.get('cold')!,
        },
        { label: `\`BUNDLE_CACHE=off npm run synth\` (tsx, as before), all ${shipped.length} targets`, stats: synth.get('tsx')! },
        {
          label: `\`kubectl kustomize\` of ${shipped.length} overlays holding the same objects, one process each`,
          stats: synth.get('kustomize')!,
        },
        { label: '`node -e 0` (the floor of any Node program)', stats: synth.get('node')! },
        { label: '`npm run` of a script `node -e 0` (the floor of any npm script that starts Node)', stats: synth.get('npm-floor')! },
      ],
      stockStats: synth.get('stock')!,
      oursStats: synth.get('ours')!,
      directStats: synth.get('direct')!,
      kustomizeStats: synth.get('kustomize')!,
      npmFloorStats: synth.get('npm-floor')!,
      npmStartMs: synth.get('ours')!.median - synth.get('direct')!.median,
      marginal: { count: MANY, one, many: manyStats, perTargetMs: (manyStats.median - one.median) / (MANY - 1) },
      peakRssMiB: Math.max(...rssKiB) / 1024,
      tests,
      checks,
    };
    const text = renderResults(results);
    mkdirSync(join(ROOT, 'bench'), { recursive: true });
    writeFileSync(RESULTS_FILE, text);
    process.stdout.write(
      `${text}\n(written to ${relative(process.cwd(), RESULTS_FILE)}; stock ${formatMs(results.stockStats.median)}, ours ${formatMs(results.oursStats.median)})\n`,
    );
  } finally {
    stock.remove();
    many.remove();
    kustomize.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench: failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
