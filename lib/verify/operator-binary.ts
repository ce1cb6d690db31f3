/**
 * A real restate-operator binary in the operator part's place (`verify --on control-plane --operator-bin PATH`), run
 * as the chart's Deployment runs it: no arguments, the Deployment's environment (./operator-chart.ts), `KUBECONFIG`
 * the control plane's admin kubeconfig, inside the control plane's network namespace. What it needs is listed in
 * docs/verify.md, "The real operator". The tests and the recorder start it from here too (through
 * test/control-plane/operator-binary.ts, which adds a network namespace of its own for the podlet's tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import type { ControlPlane } from '../control-plane/harness';
import { VerifyError } from './errors';
import { FLAG_ENV } from './operator-chart';

export interface OperatorProcess {
  readonly child: ChildProcess;
  /** The file its stdout and stderr go to. */
  readonly log: string;
  /** How it ended, when it has (it should not while the control plane runs). */
  ended(): string | undefined;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** The last lines of a log file, or `(no log)`. */
export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A VerifyError when `bin` is not an executable file, naming what was given and how. */
export function assertExecutable(bin: string, givenBy: string): void {
  let problem: string | undefined;
  try {
    if (!statSync(bin).isFile()) problem = 'is not a file';
    else accessSync(bin, constants.X_OK);
  } catch (error) {
    problem ??= (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not executable';
  }
  if (problem) throw new VerifyError(`${givenBy}: ${bin} ${problem}; give a restate-operator binary built for this machine`);
}

/** The environment variables a binary's `--help` says its flags read (clap prints `[env: NAME=…]`). */
function helpEnv(help: string): string[] {
  return [...help.matchAll(/\[env: ([A-Z0-9_]+)=/g)].map((m) => m[1]).sort();
}

/**
 * Undefined when `bin` is the operator at `version`, else why not. It has no `--version`: its `--help` must list
 * exactly the environment variables that tag's flags read (FLAG_ENV, src/main.rs of each tag).
 */
export async function wrongBinary(cp: ControlPlane, bin: string, version: string): Promise<string | undefined> {
  const asked = await cp.run(bin, ['--version'], { check: false, timeoutMs: 30_000 });
  const said = /(\d+\.\d+\.\d+)/.exec(asked.stdout);
  if (asked.code === 0 && said) return said[1] === version ? undefined : `${bin} --version says ${said[1]}, the target runs ${version}`;
  const help = await cp.run(bin, ['--help'], { check: false, timeoutMs: 30_000 });
  const expected = [...(FLAG_ENV[version] ?? [])].sort();
  if (expected.length === 0) return `no flag list known for operator ${version}`;
  const found = helpEnv(help.stdout);
  if (found.join(' ') !== expected.join(' '))
    return `${bin} --help lists the flags of another version: env ${found.join(', ') || '(none)'}; operator ${version} has ${expected.join(', ')}`;
  return undefined;
}

/** Starts `bin` inside the control plane's namespace with `env` (and only PATH, HOME and KUBECONFIG besides). */
export function startOperator(cp: ControlPlane, bin: string, env: Readonly<Record<string, string>>, log: string): OperatorProcess {
  const fd = openSync(log, 'a');
  const [command, ...prefix] = cp.enter;
  const child: ChildProcess = spawn(command, [...prefix, bin], {
    stdio: ['ignore', fd, fd],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', KUBECONFIG: cp.kubeconfig, ...env },
  });
  closeSync(fd);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const ended = () =>
    child.exitCode !== null || child.signalCode !== null ? (child.signalCode ?? `exit status ${child.exitCode}`) : undefined;
  return {
    child,
    log,
    ended,
    stop: async () => {
      if (ended()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
