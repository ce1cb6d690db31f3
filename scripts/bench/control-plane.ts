/**
 * npm run bench:control-plane [-- --rounds 5] [--cold]
 *
 * Measures the test control plane (test/control-plane/): the warm build (the pin's binaries found in the cache,
 * in-process and as `npm run control-plane:build` runs it), the start until ready (median of --rounds starts, after
 * one warm-up), and the stop. The cold build is reported from the recorded run in bench/control-plane-cold.json;
 * `--cold` measures a new one first (and records it there): a build from nothing, with empty Go module and build
 * caches and an empty binaries cache in temporary folders (20-30 minutes on 2 cores), and the disk each filled.
 * Writes bench/CONTROL-PLANE.md. Needs Go, root (or unprivileged user namespaces); not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ensureControlPlane } from '../../lib/control-plane/build';
import { startControlPlane } from '../../lib/control-plane/harness';
import { silentProgress, stderrProgress } from '../../lib/control-plane/progress';
import { describeMachine } from './machine';
import { formatMs, runTimed, type Stats, stats } from './timing';

const ROOT = resolve(__dirname, '..', '..');
const RESULTS_FILE = join(ROOT, 'bench', 'CONTROL-PLANE.md');
const COLD_FILE = join(ROOT, 'bench', 'control-plane-cold.json');
const GOAL_READY_MS = 10_000;

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** Bytes below `dir` (du), or undefined when it does not exist. */
function diskUsage(dir: string): number | undefined {
  if (!existsSync(dir)) return undefined;
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function gib(bytes: number | undefined): string {
  if (bytes === undefined) return 'n/a';
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

function goEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('go', ['env', name], { encoding: 'utf8', env }).trim();
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function row(label: string, s: Stats): string {
  return `| ${label} | ${formatMs(s.median)} | ${formatMs(s.min)} | ${formatMs(s.max)} |`;
}

/** A cold build as recorded in bench/control-plane-cold.json. */
interface Cold {
  readonly date: string;
  readonly machine: string;
  readonly loadAtStart: number;
  readonly go: string;
  readonly kubernetes: string;
  readonly ms: number;
  readonly moduleCacheBytes?: number;
  readonly buildCacheBytes?: number;
  readonly binariesBytes?: number;
}

/** A build from nothing, in temporary caches that are removed afterwards. */
async function coldBuild(): Promise<Cold> {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-cp-cold-'));
  const env = {
    ...process.env,
    GOMODCACHE: join(scratch, 'modules'),
    GOCACHE: join(scratch, 'build-cache'),
    RESTATE_STACK_CONTROL_PLANE_CACHE: join(scratch, 'binaries'),
  };
  const machine = describeMachine();
  try {
    progress('cold build: empty module, build and binaries caches');
    const start = performance.now();
    const { binaries } = await ensureControlPlane({ env, progress: stderrProgress() });
    return {
      date: new Date().toISOString().slice(0, 10),
      machine: `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}`,
      loadAtStart: machine.loadAtStart,
      go: binaries.go,
      kubernetes: binaries.kubernetes,
      ms: Math.round(performance.now() - start),
      moduleCacheBytes: diskUsage(env.GOMODCACHE),
      buildCacheBytes: diskUsage(env.GOCACHE),
      binariesBytes: diskUsage(binaries.dir),
    };
  } finally {
    const writable = (path: string) => {
      chmodSync(path, 0o700);
      for (const entry of readdirSync(path, { withFileTypes: true })) if (entry.isDirectory()) writable(join(path, entry.name));
    };
    if (existsSync(env.GOMODCACHE)) writable(env.GOMODCACHE);
    rmSync(scratch, { recursive: true, force: true });
  }
}

function recordedCold(): Cold | undefined {
  return existsSync(COLD_FILE) ? (JSON.parse(readFileSync(COLD_FILE, 'utf8')) as Cold) : undefined;
}

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, cold: { type: 'boolean', default: false } },
  });
  const rounds = Number(opts.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be a whole number from 1 to 20');
  const machine = describeMachine();
  progress(`machine: ${machine.cpus} CPUs, ${machine.cpuModel}, load ${machine.loadAtStart}`);

  if (opts.cold) writeFileSync(COLD_FILE, `${JSON.stringify(await coldBuild(), null, 2)}\n`);
  const cold = recordedCold();

  // Warm: builds once here if the cache has no entry for the pin (not timed), then finds it.
  progress('warm build: the pin found in the cache');
  const { binaries } = await ensureControlPlane({ progress: stderrProgress() });
  const inProcess: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const found = await ensureControlPlane({ progress: silentProgress });
    inProcess.push(performance.now() - start);
    if (found.built) throw new Error('the warm build built: the cache entry was not found');
  }
  const command = { name: 'control-plane:build', program: 'npm', args: ['run', 'control-plane:build'], cwd: ROOT };
  const viaNpm: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const run = runTimed(command);
    if (run.status !== 0 || !/\(cached, found in \d+ ms\)/.test(run.output))
      throw new Error(`npm run control-plane:build did not find the cache:\n${run.output}`);
    viaNpm.push(run.ms);
  }

  progress(`start until ready: 1 warm-up, then ${rounds} rounds`);
  const ready: number[] = [];
  const stopping: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const cp = await startControlPlane({ binaries });
    const stopStart = performance.now();
    await cp.stop();
    const stopMs = performance.now() - stopStart;
    if (i === 0) {
      progress(`warm-up: ready in ${formatMs(cp.startMs)}, stopped in ${formatMs(stopMs)}`);
      continue;
    }
    ready.push(cp.startMs);
    stopping.push(stopMs);
    progress(`round ${i}/${rounds}: ready in ${formatMs(cp.startMs)}, stopped in ${formatMs(stopMs)}`);
  }

  const readyStats = stats(ready);
  const goModCache = goEnv('GOMODCACHE');
  const goBuildCache = goEnv('GOCACHE');
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '# Control plane benchmark',
    '',
    `Written by \`npm run bench:control-plane\` on ${date}: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB,`,
    `${machine.os}, Node.js ${machine.node}, ${binaries.go}; 1-minute load average at the start: ${machine.loadAtStart}.`,
    `Kubernetes ${binaries.kubernetes} and etcd ${binaries.etcd}, built from lib/control-plane/go.mod into ${binaries.dir}.`,
    '',
    '| step | median | min | max |',
    '| --- | ---: | ---: | ---: |',
    row(`start until ready (etcd, kube-apiserver /readyz, controller manager and scheduler healthy), ${rounds} starts`, readyStats),
    row('stop (every process ended by PID, folder removed)', stats(stopping)),
    row('warm build: the pin found in the cache (in-process `ensureControlPlane`)', stats(inProcess)),
    row('warm build as CI runs it: `npm run control-plane:build` (tsx start-up included)', stats(viaNpm)),
    '',
    `- **Ready**: median ${formatMs(readyStats.median)} (goal < ${formatMs(GOAL_READY_MS)} on 2 cores once built: ` +
      `${readyStats.median < GOAL_READY_MS ? 'met' : '**not met**'}).`,
    cold
      ? `- **Cold build** (from nothing: empty Go module, build and binaries caches): ${minutes(cold.ms)} for Kubernetes ` +
        `${cold.kubernetes} with ${cold.go}, recorded by \`npm run bench:control-plane -- --cold\` on ${cold.date} ` +
        `(${cold.machine}; 1-minute load average at its start: ${cold.loadAtStart}), in bench/control-plane-cold.json. ` +
        `It filled: module cache ${gib(cold.moduleCacheBytes)}, build cache ${gib(cold.buildCacheBytes)}, binaries ${gib(cold.binariesBytes)}.`
      : '- **Cold build**: not recorded yet; `npm run bench:control-plane -- --cold` measures one from nothing.',
    `- **Disk now** (whole caches, shared with any other Go work of this user): module cache ${goModCache} ${gib(diskUsage(goModCache))}, ` +
      `build cache ${goBuildCache} ${gib(diskUsage(goBuildCache))}, binaries ${gib(diskUsage(binaries.dir))}.`,
    '',
  ];
  writeFileSync(RESULTS_FILE, lines.join('\n'));
  progress(`wrote ${RESULTS_FILE}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
