import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB } from '../../lib/values';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { detectMemoryHierarchy, kubeletView, type MemoryHierarchy, PodMemoryCgroup } from '../../lib/verify/memory-cgroup';

/*
 * A real restate-server (npm 1.7.12) in a pod memory cgroup as verify makes them: it sees its pod's limit, not the
 * host's, and under a limit below what the rule needs it is OOM-killed, which verify reports as the kubelet would.
 * One server at a time, in a network namespace of its own (unshare -n: the server calls out at start).
 */

const hierarchy = detectMemoryHierarchy();
const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
const maybe = typeof hierarchy !== 'string' && root ? describe : describe.skip;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'memory-limit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly exit?: { code: number | null; signal: string | null };
  readonly log: string;
  readonly oomKills: number;
  readonly peakBytes: number;
  /** What could not be removed of its cgroup afterwards (nothing, when all went). */
  readonly left?: string;
}

/** Runs one server under `limitBytes` with `env` for at most `ms`, then stops it; what it did and what its cgroup saw. */
async function runUnder(name: string, limitBytes: number, env: Record<string, string>, ms: number): Promise<Run> {
  const cgroup = new PodMemoryCgroup(hierarchy as MemoryHierarchy, `restate-stack-test-${process.pid}-${name}`, limitBytes);
  const base = join(dir, name);
  const log = join(dir, `${name}.log`);
  const c = cgroup.command('unshare', ['-n', '--', resolveRestateBinaries().server, '--base-dir', base, '--node-name', 'n1']);
  const child: ChildProcess = spawn('/bin/sh', ['-c', `exec "$@" > "${log}" 2>&1`, 'run', c.file, ...c.args], {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir, RESTATE_LOG_FORMAT: 'compact', NO_COLOR: '1', ...env },
  });
  const exit = await new Promise<Run['exit']>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve(undefined);
    }, ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  if (!exit) await new Promise((resolve) => child.once('exit', resolve));
  const usage = cgroup.usage();
  const left = cgroup.remove();
  return { ...(exit ? { exit } : {}), log: readFileSync(log, 'utf8'), oomKills: usage.oomKills, peakBytes: usage.peakBytes, left };
}

maybe(`a restate-server under a pod memory limit (cgroup ${typeof hierarchy === 'string' ? '?' : hierarchy.version})`, () => {
  test("it reads its pod's limit, not the host's: a RocksDB budget above a 512Mi limit makes it say so, and it keeps running", async () => {
    // GIVEN the rule's smallest pod (512Mi) and a RocksDB budget of 1Gi, twice what the limit allows
    const run = await runUnder('view', 512 * MiB, { RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE: '1 GiB' }, 4000);
    // THEN the server names the pod's limit (crates/rocksdb/src/db_manager.rs, check_memory_limit), and was still running
    expect(run.log).toContain("'rocksdb-total-memory-size' parameter is set to 1.0 GiB, more than the process memory limit of 512.0 MiB");
    expect(run.exit).toBeUndefined();
    expect(run.oomKills).toBe(0);
    expect(run.peakBytes).toBeLessThanOrEqual(512 * MiB);
    expect(run.left).toBeUndefined();
  }, 30_000);

  test('negative control: under 24Mi, far below the 512Mi the rule needs, it is OOM-killed, and verify says OOMKilled', async () => {
    // GIVEN a limit below what the server needs to start
    const run = await runUnder('oom', 24 * MiB, {}, 15_000);
    // THEN the kernel's OOM killer ends it within the limit, as the kubelet would report
    expect(run.oomKills).toBeGreaterThanOrEqual(1);
    expect(run.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(kubeletView(run.exit, run.oomKills)).toMatch(/^OOMKilled \(exit code 137/);
    expect(run.log).toContain('more than the process memory limit of 24.0 MiB');
    expect(run.left).toBeUndefined();
  }, 30_000);
});
