/**
 * A real restate-operator binary in the operator part's place (`verify --on control-plane --operator-bin PATH`), run
 * as the chart's Deployment runs it: no arguments, the Deployment's environment (./operator-chart.ts), `KUBECONFIG`
 * the control plane's admin kubeconfig, inside the control plane's network namespace. What it needs is listed in
 * docs/verify.md, "The real operator". The tests and the recorder start it from here too (through
 * test/control-plane/operator-binary.ts, which adds a network namespace of its own for the podlet's tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, closeSync, constants, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** What the operator reaches from a network namespace of its own (startOperatorInOwnNetwork). */
export interface OwnNetwork {
  /** A folder for its sockets, hosts file and scripts (unix socket paths are limited to 107 bytes). */
  readonly dir: string;
  /**
   * Names it resolves to a pod, each reachable on `port` only: its connections go to the address the name has in
   * `hosts` (the podlet's hosts file of the pod's namespace) at that time. E.g. 2.8.1's provisioning call to
   * `restate-0.restate-cluster.<ns>.svc.cluster.local:5122` (provisioning.rs:119 @2.8.1).
   */
  readonly pods?: readonly { readonly name: string; readonly port: number; readonly hosts: string }[];
}

/**
 * startOperator, but in a network namespace of its own, as in its pod: the operator serves /health and /metrics on
 * every address's port 8080 (`0.0.0.0:8080`, src/main.rs:104 @v1.7.4; `[::]:8080`, src/main.rs:158 @v2.8.1), the
 * port every Restate pod's ingress binds on its own address in the control plane's namespace, where the podlet runs
 * them: beside them there, one or the other fails with "Address in use". From its namespace it reaches the API server
 * (127.0.0.1:6443) and the `pods` given, nothing else, each through lib/control-plane/socket-bridge.ts (a unix socket in `dir`).
 */
export async function startOperatorInOwnNetwork(
  cp: ControlPlane,
  bin: string,
  env: Readonly<Record<string, string>>,
  log: string,
  network: OwnNetwork,
): Promise<OperatorProcess> {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const bridge = join(__dirname, '..', 'control-plane', 'socket-bridge.ts');
  const node = (...args: string[]) => [process.execPath, '--import', tsx, bridge, ...args];
  const forwards = [
    { listen: '127.0.0.1', port: 6443, name: 'localhost', cpSide: ['127.0.0.1', '6443'] },
    ...(network.pods ?? []).map((p, i) => ({
      listen: `127.0.1.${i + 1}`,
      port: p.port,
      name: p.name,
      cpSide: ['-', String(p.port), p.hosts, p.name],
    })),
  ].map((f, i) => ({ ...f, socket: join(network.dir, `bridge-${i}.sock`), ready: join(network.dir, `bridge-${i}.ready`) }));
  for (const f of forwards) {
    const [command, ...args] = node('unix-to-tcp', f.socket, ...f.cpSide);
    cp.start(command, args, join(network.dir, `bridge-${forwards.indexOf(f)}.log`));
  }
  const deadline = Date.now() + 30_000;
  while (!forwards.every((f) => existsSync(f.socket))) {
    if (Date.now() > deadline) throw new VerifyError(`the operator's socket bridges did not listen within 30 s (logs in ${network.dir})`);
    await new Promise((done) => setTimeout(done, 50));
  }
  const hosts = join(network.dir, 'hosts');
  writeFileSync(hosts, ['127.0.0.1\tlocalhost', ...forwards.slice(1).map((f) => `${f.listen}\t${f.name}`), ''].join('\n'), { mode: 0o644 });
  const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
  const inner = join(network.dir, 'in-own-network.sh');
  writeFileSync(
    inner,
    [
      'set -e',
      'ip link set lo up',
      ...forwards.map(
        (f) => `setpriv --pdeathsig KILL -- ${node('tcp-to-unix', f.listen, String(f.port), f.socket, f.ready).map(quote).join(' ')} &`,
      ),
      `until ${forwards.map((f) => `[ -e ${quote(f.ready)} ]`).join(' && ')}; do sleep 0.1; done`,
      `mount --bind ${quote(hosts)} /etc/hosts`,
      `exec ${quote(bin)}`,
      '',
    ].join('\n'),
  );
  const outer = join(network.dir, 'operator.sh');
  writeFileSync(outer, `#!/bin/sh\nexec unshare --net --mount --propagation private -- /bin/sh ${quote(inner)}\n`);
  chmodSync(outer, 0o755);
  return startOperator(cp, outer, env, log);
}
