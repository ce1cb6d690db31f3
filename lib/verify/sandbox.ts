import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifyError } from './errors';
import { RESULT_FILE, type SandboxJob, type SandboxResult } from './isolated-main';
import { assertNamespacesAvailable, unshareArgs } from './linux-namespaces';

export interface SandboxOptions<I> {
  /** A TypeScript program whose main is `isolatedMain(...)`. */
  readonly entry: string;
  readonly input: I;
  /** Content for /etc/hosts inside the sandbox. */
  readonly hosts: string;
  /** The run's deadline: the program stops itself by then; it is killed a little later at the latest. */
  readonly deadlineMs: number;
  /**
   * Where the program's progress lines (stderr) go.
   * @default 'inherit'
   */
  readonly output?: 'inherit' | 'capture';
}

export interface SandboxOutcome<O> {
  readonly result: SandboxResult<O>;
  readonly exitCode: number | null;
  /** Captured stderr (progress lines), when `output` is 'capture'. */
  readonly log: string;
  readonly ms: number;
}

/** Extra time past the deadline before the sandbox is killed from outside. */
const GRACE_MS = 8_000;

/** The project's bundle runner (scripts/bundle-cache/run.js): the sandboxed entry starts from its cached bundles, not under tsx. */
const RUNNER = join(__dirname, '..', '..', 'scripts', 'bundle-cache', 'run.js');

/** The PID (in this namespace) of unshare's forked child: the program, PID 1 inside. */
function innerPid(unsharePid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a program in new network, mount and PID namespaces that have only loopback. The program cleans up
 * after itself (its processes by PID, its folders); as a backstop, ending the PID namespace ends every process
 * in it, and the run's folder is removed here. SIGINT/SIGTERM to this process are passed on to the program.
 */
export async function runInSandbox<I, O>(options: SandboxOptions<I>): Promise<SandboxOutcome<O>> {
  assertNamespacesAvailable({ mountAndPid: true });
  const started = Date.now();
  // Short on purpose: the server puts unix sockets under its base dir, and their paths are limited to 107 bytes.
  const workDir = mkdtempSync(join(tmpdir().length <= 20 ? tmpdir() : '/tmp', 'rsv-'));
  const job: SandboxJob<I> = { workDir, deadlineAt: started + options.deadlineMs, hosts: options.hosts, input: options.input };
  const jobFile = join(workDir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(job));

  const [command, ...prefix] = unshareArgs({ mountAndPid: true });
  const child = spawn(command, [...prefix, process.execPath, RUNNER, options.entry, jobFile], {
    stdio: ['ignore', 'inherit', options.output === 'capture' ? 'pipe' : 'inherit'],
  });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));

  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (): void => {
    const pid = child.pid === undefined ? undefined : innerPid(child.pid);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // unshare --kill-child: its death SIGKILLs the program, and with it every process in the PID namespace.
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), pid === undefined ? 0 : GRACE_MS);
  };
  const deadlineTimer = setTimeout(terminate, options.deadlineMs + GRACE_MS);
  const onSignal = (): void => terminate();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(new VerifyError(`cannot run ${command}: ${error.message}`)));
      child.once('exit', (code) => resolve(code));
    });
    const resultFile = join(workDir, RESULT_FILE);
    const result: SandboxResult<O> = existsSync(resultFile)
      ? (JSON.parse(readFileSync(resultFile, 'utf8')) as SandboxResult<O>)
      : { ok: false, error: `the sandboxed program ended without a result (exit status ${exitCode}); see its output above` };
    return { result, exitCode, log, ms: Date.now() - started };
  } finally {
    clearTimeout(deadlineTimer);
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(workDir, { recursive: true, force: true });
  }
}
