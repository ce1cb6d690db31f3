/**
 * A real Kubernetes control plane for a test file: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, built from lib/control-plane/go.mod (./build.ts), running on loopback inside a network
 * namespace of their own (./network-namespace.ts). No kubelet: pods are scheduled (bound to a Node object the test
 * creates) but never run; ./kubelet-stand-in.ts can add a Node whose endpoint serves `kubectl logs` and `exec`, or
 * one whose podlet (./podlet.ts) runs the real processes of Restate's pods.
 *
 *   const cp = await startControlPlane();       // ready: /readyz ok, controllers and scheduler healthy
 *   await cp.kubectl(['create', 'namespace', 'a']);
 *   await cp.stop();                            // every process ended, by PID; the run's folder removed
 *
 * The API server runs with RBAC, an admin in `system:masters` (client certificate), service-account token signing
 * and its default admission plugins (PodSecurity, ServiceAccount, … as a real cluster has them), with privileged
 * pods allowed by the server (so it is PodSecurity that refuses them in a `restricted` namespace).
 * Every process is stopped by PID on stop(), on a failed start, when this process exits, and on SIGINT/SIGTERM;
 * the kernel kills any left when this process dies (`setpriv --pdeathsig`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlaneBinaries, findControlPlane } from './build';
import { ControlPlaneError } from './errors';
import { type NetworkNamespace, openNetworkNamespace } from './network-namespace';
import { type ClientName, makePki, type Pki, SERVICE_CIDR } from './pki';

/** Ports inside the namespace: each control plane has its own, so the components' usual ports are always free. */
export const PORTS = { etcdClient: 2379, etcdPeer: 2380, apiserver: 6443, controllerManager: 10257, scheduler: 10259 } as const;
/** The stand-in kubelet's node endpoint (./kubelet-stand-in.ts), the kubelet's usual port; only when one is started. */
export const KUBELET_PORT = 10250;
const LOOPBACK = '127.0.0.1';
export const SERVER = `https://${LOOPBACK}:${PORTS.apiserver}`;

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export interface StartOptions {
  /** Upper bound of the start, until every component is ready. @default 60_000 */
  readonly timeoutMs?: number;
  /** Extra command-line flags per component (e.g. to show a failed start). */
  readonly extraArgs?: Partial<Record<Component, readonly string[]>>;
  /** The binaries. @default findControlPlane(): built by the test run's global setup */
  readonly binaries?: ControlPlaneBinaries;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin. */
  readonly input?: string;
  /** @default 60_000 */
  readonly timeoutMs?: number;
  /** Reject when the exit status is not 0. @default true */
  readonly check?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ControlPlane {
  readonly binaries: ControlPlaneBinaries;
  /** The admin kubeconfig (server https://127.0.0.1:6443, reachable only inside the namespace). */
  readonly kubeconfig: string;
  /** The run's keys and certificates (./pki.ts). */
  readonly pki: Pki;
  /** The PID of each running component. */
  readonly pids: ReadonlyMap<Component, number>;
  /** The namespace holder's PID (`nsenter --net=/proc/<pid>/ns/net` joins it). */
  readonly namespacePid: number;
  /** The command-line prefix that runs a program inside the namespace, killed with this process (for long-running ones). */
  readonly enter: readonly string[];
  /** Milliseconds from the call to startControlPlane until ready. */
  readonly startMs: number;
  /** Runs the built kubectl as the admin, inside the namespace. */
  kubectl(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Runs any program inside the namespace, with KUBECONFIG set and the built kubectl first on PATH. */
  run(program: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Starts a long-running program inside the namespace (stdin closed, output to `log`); stop() kills it by PID
   * before the components.
   */
  start(program: string, args: readonly string[], log: string): ChildProcess;
  /** Stops every process by PID (SIGTERM, then SIGKILL after 10 s) and removes the run's folder. */
  stop(): Promise<void>;
}

/** Every process any control plane of this Node process started and has not seen end: killed when it exits. */
const running = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Kills every control plane process when this process exits or is asked to stop, then lets the signal do its usual work. */
function hookProcessEnd(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function tail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function kubeconfig(pki: Pki, client: ClientName): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server: SERVER, 'certificate-authority': pki.caCert } }],
    users: [{ name: client, user: { 'client-certificate': pki.clients[client].cert, 'client-key': pki.clients[client].key } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: client } }],
    'current-context': 'test',
  };
  const file = join(pki.dir, `${client}.kubeconfig`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** The command lines: every listener on 127.0.0.1 (none of the defaults, which bind all interfaces, is left). */
function commandLines(
  dir: string,
  pki: Pki,
  kubeconfigs: Record<'kube-controller-manager' | 'kube-scheduler', string>,
): Record<Component, string[]> {
  const etcdClient = `http://${LOOPBACK}:${PORTS.etcdClient}`;
  const etcdPeer = `http://${LOOPBACK}:${PORTS.etcdPeer}`;
  const serving = [`--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`];
  return {
    etcd: [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdClient}`,
      `--advertise-client-urls=${etcdClient}`,
      `--listen-peer-urls=${etcdPeer}`,
      `--initial-advertise-peer-urls=${etcdPeer}`,
      `--initial-cluster=default=${etcdPeer}`,
      // A test cluster lives for minutes and is thrown away: no fsync, as envtest and kind's CI setups do.
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    'kube-apiserver': [
      `--etcd-servers=${etcdClient}`,
      `--bind-address=${LOOPBACK}`,
      `--advertise-address=${LOOPBACK}`,
      // The `kubernetes` Service's endpoints would be this address, which the server refuses as loopback ("cannot use
      // public IP 127.0.0.1 with endpoint reconciler"); no pod runs here to call the API from inside anyway.
      '--endpoint-reconciler-type=none',
      `--secure-port=${PORTS.apiserver}`,
      `--cert-dir=${join(dir, 'apiserver')}`,
      ...serving,
      `--client-ca-file=${pki.caCert}`,
      // Toward kubelets (`kubectl logs`, `exec`): the stand-in kubelet's endpoint checks this client certificate, and
      // the server checks the endpoint's serving certificate against the cluster CA.
      `--kubelet-client-certificate=${pki.clients['kube-apiserver-kubelet-client'].cert}`,
      `--kubelet-client-key=${pki.clients['kube-apiserver-kubelet-client'].key}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--authorization-mode=RBAC',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.serviceAccountPublicKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      // Allowed by the server, so that a privileged pod is refused by PodSecurity (and only where a namespace says so).
      '--allow-privileged=true',
    ],
    'kube-controller-manager': [
      `--kubeconfig=${kubeconfigs['kube-controller-manager']}`,
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${PORTS.controllerManager}`,
      `--cert-dir=${join(dir, 'controller-manager')}`,
      ...serving,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      // Each controller acts as its own ServiceAccount, with the rights RBAC's bootstrap roles give it (as kubeadm
      // runs it); as system:kube-controller-manager itself they may not, e.g., create ReplicaSets.
      '--use-service-account-credentials=true',
      '--leader-elect=false',
    ],
    'kube-scheduler': [
      `--kubeconfig=${kubeconfigs['kube-scheduler']}`,
      `--bind-address=${LOOPBACK}`,
      `--secure-port=${PORTS.scheduler}`,
      `--cert-dir=${join(dir, 'scheduler')}`,
      ...serving,
      '--leader-elect=false',
    ],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a control plane and waits until it is ready; on any failure stops what it started and rejects. */
export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 60_000);
  const binaries = options.binaries ?? (await findControlPlane());
  hookProcessEnd();
  // Short: the folder shows up in every command line.
  const dir = mkdtempSync(join(tmpdir(), 'cp-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const children = new Map<Component, ChildProcess>();
  const exits = new Map<Component, Promise<void>>();
  let namespace: NetworkNamespace | undefined;
  let adminKubeconfig = '';
  let pki: Pki | undefined;
  let lines: Record<Component, string[]>;
  let stopped = false;

  const binEnv = (env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...process.env,
    // Every test control plane is https://127.0.0.1:6443: kubectl's discovery cache (~/.kube/cache by default) would
    // carry one plane's served kinds into the next and word its errors after a stale list. One cache per plane.
    KUBECACHEDIR: join(dir, 'kube-cache'),
    ...env,
    KUBECONFIG: adminKubeconfig,
    PATH: `${binaries.dir}:${process.env.PATH ?? ''}`,
  });

  const run = (program: string, args: readonly string[], runOptions: RunOptions = {}): Promise<RunResult> => {
    if (!namespace || stopped) return Promise.reject(new ControlPlaneError('the control plane is not running'));
    const [command, ...prefix] = namespace.enter;
    const child = spawn(command, [...prefix, program, ...args], { env: binEnv(runOptions.env), stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const timeoutMs = runOptions.timeoutMs ?? 60_000;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.on('error', () => {}); // a program that exits without reading its input
      child.stdin.end(runOptions.input ?? '');
      child.once('error', (error) => {
        clearTimeout(timer);
        running.delete(child);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        const result = { code, stdout, stderr };
        if (signal) reject(new Error(`${program} ${args.join(' ')}: killed by ${signal} (time limit ${timeoutMs} ms)\n${stderr}`));
        else if (code !== 0 && runOptions.check !== false)
          reject(new Error(`${program} ${args.join(' ')}: exit status ${code}\n${stderr}`));
        else resolve(result);
      });
    });
  };
  const kubectl = (args: readonly string[], runOptions?: RunOptions) => run(binaries.paths.kubectl, args, runOptions);

  const longRunning: ChildProcess[] = [];
  const start = (program: string, args: readonly string[], log: string): ChildProcess => {
    if (!namespace || stopped) throw new ControlPlaneError('the control plane is not running');
    const [command, ...prefix] = namespace.enter;
    const fd = openSync(log, 'a');
    const child = spawn(command, [...prefix, program, ...args], { env: binEnv(), stdio: ['ignore', fd, fd] });
    closeSync(fd);
    running.add(child);
    longRunning.push(child);
    child.once('exit', () => running.delete(child));
    return child;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const child of longRunning) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // The controllers first, then the server, then its store: each sees the one it talks to go last.
    for (const name of ['kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'] as const) {
      const child = children.get(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exits.get(name);
      clearTimeout(killer);
    }
    namespace?.close();
    rmSync(dir, { recursive: true, force: true });
  };

  const failStart = async (message: string): Promise<never> => {
    const logTails = [...children.keys()]
      .map((name) => `--- ${name} (last lines of its log):\n${tail(join(logs, `${name}.log`))}`)
      .join('\n');
    await stop();
    throw new ControlPlaneError(`${message}\n${logTails}`);
  };

  try {
    pki = await makePki(join(dir, 'pki'));
    adminKubeconfig = kubeconfig(pki, 'admin');
    const kubeconfigs = {
      admin: adminKubeconfig,
      'kube-controller-manager': kubeconfig(pki, 'kube-controller-manager'),
      'kube-scheduler': kubeconfig(pki, 'kube-scheduler'),
    };
    namespace = await openNetworkNamespace();
    lines = commandLines(dir, pki, kubeconfigs);
  } catch (error) {
    if (error instanceof ControlPlaneError) return failStart(error.message);
    await stop();
    throw error;
  }

  const launch = (name: Component): void => {
    const log = openSync(join(logs, `${name}.log`), 'a');
    const [command, ...prefix] = namespace!.enter;
    const child = spawn(command, [...prefix, binaries.paths[name], ...lines[name], ...(options.extraArgs?.[name] ?? [])], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    running.add(child);
    children.set(name, child);
    exits.set(
      name,
      new Promise((resolve) =>
        child.once('exit', () => {
          running.delete(child);
          resolve();
        }),
      ),
    );
  };
  /** Asks with the built kubectl until the answer is `ok`; undefined when ready, else why not. */
  const waitOk = async (name: Component, args: readonly string[]): Promise<string | undefined> => {
    for (;;) {
      const ended = [...children].find(([, child]) => child.exitCode !== null || child.signalCode !== null);
      if (ended) {
        const [which, child] = ended;
        return `${which} ended while the control plane was starting (${child.signalCode ?? `exit status ${child.exitCode}`})`;
      }
      if (Date.now() > deadline)
        return `the control plane was not ready within ${options.timeoutMs ?? 60_000} ms: ${name} did not answer ok`;
      const answer = await kubectl(['--request-timeout=5s', ...args], { check: false, timeoutMs: 10_000 }).catch(() => undefined);
      if (answer?.code === 0 && answer.stdout.trim() === 'ok') return undefined;
      await sleep(100);
    }
  };

  // The store and the server first; the controller manager and the scheduler once the server is ready, so that their
  // first list and watch succeed (started together, they back off while it comes up and are ready seconds later).
  launch('etcd');
  launch('kube-apiserver');
  const serverDown = await waitOk('kube-apiserver', ['get', '--raw', '/readyz']);
  if (serverDown) return failStart(serverDown);
  launch('kube-controller-manager');
  launch('kube-scheduler');
  const [controllersDown, schedulerDown] = await Promise.all([
    waitOk('kube-controller-manager', [`--server=https://${LOOPBACK}:${PORTS.controllerManager}`, 'get', '--raw', '/healthz']),
    waitOk('kube-scheduler', [`--server=https://${LOOPBACK}:${PORTS.scheduler}`, 'get', '--raw', '/readyz']),
  ]);
  if (controllersDown ?? schedulerDown) return failStart((controllersDown ?? schedulerDown)!);

  return {
    binaries,
    kubeconfig: adminKubeconfig,
    pki: pki!,
    pids: new Map([...children].map(([name, child]) => [name, child.pid!])),
    namespacePid: namespace!.pid,
    enter: namespace!.enter,
    startMs: Date.now() - started,
    kubectl,
    run,
    start,
    stop,
  };
}

/** Is a process with this PID still there (and not a zombie)? */
export function processAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
