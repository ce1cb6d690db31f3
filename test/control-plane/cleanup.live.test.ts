/**
 * No process of a test control plane outlives what started it: not after a failed start, not when its owner is
 * told to stop (SIGTERM, as jest or a Ctrl-C does), not when its owner is killed outright (SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findControlPlane } from '../../lib/control-plane/build';
import { ControlPlaneError } from '../../lib/control-plane/errors';
import { processAlive, startControlPlane } from '../../lib/control-plane/harness';

const ROOT = join(__dirname, '..', '..');
const HOLD = join(__dirname, 'hold-control-plane.ts');

/** Live processes whose parent is `parent` and whose command line names the control plane's binaries folder. */
function controlPlaneChildren(parent: number, binDir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const ppid = Number(
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /s, '')
            .split(' ')[1],
        );
        return ppid === parent && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(binDir) && processAlive(pid);
      } catch {
        return false; // ended while being read
      }
    });
}

async function gone(pids: readonly number[], timeoutMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(processAlive);
}

/** Starts hold-control-plane.ts and resolves with its control plane's PIDs once it is ready. */
function hold(): Promise<{ child: ChildProcess; pids: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes('\n')) return;
      const { pids, namespacePid } = JSON.parse(stdout) as { pids: number[]; namespacePid: number };
      resolve({ child, pids: [...pids, namespacePid] });
    });
    child.once('exit', (code) => reject(new Error(`hold-control-plane.ts ended (exit status ${code}) before it was ready: ${stderr}`)));
  });
}

describe('a test control plane leaves no process behind', () => {
  test('a start that fails stops what it started, and says which component failed and why', async () => {
    // GIVEN a kube-apiserver flag that does not exist
    const binaries = await findControlPlane();

    // WHEN a control plane is started with it
    const failure = await startControlPlane({ extraArgs: { 'kube-apiserver': ['--no-such-flag'] } }).catch((error: unknown) => error);

    // THEN the start fails naming kube-apiserver and quoting its log, and no process of it is left
    expect(failure).toBeInstanceOf(ControlPlaneError);
    expect((failure as Error).message).toMatch(/^kube-apiserver ended while the control plane was starting \(exit status 1\)/);
    expect((failure as Error).message).toMatch(/unknown flag: --no-such-flag/);
    expect(controlPlaneChildren(process.pid, binaries.dir)).toEqual([]);
  }, 60_000);

  test.each([
    ['SIGTERM', 'its signal handler stops them'],
    ['SIGKILL', 'the kernel kills them (setpriv --pdeathsig)'],
  ] as const)(
    'when its owner gets %s, %s',
    async (signal, _how) => {
      // GIVEN a program that started a control plane
      const { child, pids } = await hold();
      expect(pids.every(processAlive)).toBe(true);

      // WHEN the program gets the signal
      child.kill(signal);

      // THEN every process of the control plane ends
      expect(await gone(pids)).toEqual([]);
    },
    120_000,
  );
});
