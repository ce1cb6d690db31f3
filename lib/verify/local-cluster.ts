import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import type { ClusterUnderTest } from './cluster-spec';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import { nodeIp } from './hosts';
import { describeExit, ManagedProcess, type ProcessExit } from './managed-process';
import { killAndWaitSync } from './pids';
import { operatorPodEnv } from './operator-env';
import { ADMIN_PORT, advertisedAddress, FABRIC_PORT, INGRESS_PORT, podName } from '../target-folder/operator-names';

export interface LocalClusterProps {
  /** The RestateCluster to stand in for: replicas, cluster name, config, env. */
  readonly cluster: ClusterUnderTest;
  /** The native `restate-server` binary. */
  readonly serverBinary: string;
  /** An empty folder of this run; each node gets `node-N/{data,tmp}` in it. Keep the path short (unix sockets). */
  readonly workDir: string;
  /**
   * Variables set on every node after the pod's own (so they win over the pod's env and config.toml), for
   * what the sandbox has to redirect, such as the snapshot store's endpoint and keys.
   * @default {}
   */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /**
   * The uid (and gid) each node runs as, by ordinal: the NetworkPolicy rules tell pods apart by it. Their
   * folders are handed to that uid. With a `launch`, the launcher must switch to it (a mount namespace has to
   * be set up as root first); without, the process is spawned as it.
   * @default the current user's
   */
  readonly uids?: readonly number[];
  /**
   * How each node's process is started, e.g. with its pod's DNS view (`PodView.command`); the launcher must
   * exec the program, so that the spawned PID is the server's.
   * @default - the server binary directly, with the sandbox's own /etc/hosts and resolv.conf
   */
  readonly launch?: (node: LocalNode, file: string, args: readonly string[]) => { readonly file: string; readonly args: readonly string[] };
  /**
   * Pods `restate-0..capacity-1` the run may have, for scenarios that scale out: `start` starts the first
   * `cluster.replicas`, `startNode` any other.
   * @default cluster.replicas
   */
  readonly capacity?: number;
}

/** One `restate-server` process standing in for pod `restate-N`. */
export interface LocalNode {
  readonly ordinal: number;
  readonly name: string;
  /** The loopback address its fabric, admin and ingress ports are bound to. */
  readonly ip: string;
  /** What other nodes and restatectl use: `http://restate-N.restate-cluster:5122`. */
  readonly address: string;
  readonly dir: string;
  readonly logFile: string;
}

const SERVICES = [
  ['fabric', FABRIC_PORT],
  ['admin', ADMIN_PORT],
  ['ingress', INGRESS_PORT],
] as const;

export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The most telling lines of a node's JSON log: its last errors and warnings, else its last lines. */
export function logTail(logFile: string, max = 6): string {
  if (!existsSync(logFile)) return '(no log)';
  const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  const render = (line: string): string => {
    try {
      const entry = JSON.parse(line) as { level?: string; fields?: Record<string, unknown>; target?: string };
      const { message, ...rest } = entry.fields ?? {};
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      return `${entry.level ?? ''} ${String(message ?? '')}${extra}`.slice(0, 400);
    } catch {
      return line.slice(0, 400);
    }
  };
  const bad = lines.filter((l) => /"level":"(ERROR|WARN)"/.test(l) || !l.startsWith('{'));
  return (bad.length > 0 ? bad : lines).slice(-max).map(render).join('\n      ') || '(empty log)';
}

/**
 * Real `restate-server` processes laid out the way the operator runs pods: node names `restate-N`, advertised
 * as `http://restate-N.restate-cluster:5122`, the cluster name from the CR, the CR's config file verbatim,
 * each with its own data and temp folder. Only the listen addresses differ: each node binds its fabric, admin
 * and ingress ports to its own loopback address (pods have their own IPs). Must run inside a namespace
 * prepared by `prepareIsolatedNetwork`.
 */
export class LocalCluster {
  public readonly nodes: readonly LocalNode[];
  private readonly running = new Map<number, ManagedProcess>();
  /** The binary each node was last started with, where it is not `serverBinary` (a rolling upgrade). */
  private readonly binaries = new Map<number, string>();
  private readonly configFile: string;

  constructor(private readonly props: LocalClusterProps) {
    this.configFile = join(props.workDir, 'config.toml');
    this.nodes = Array.from({ length: Math.max(props.capacity ?? 0, props.cluster.replicas) }, (_, ordinal) => {
      const dir = join(props.workDir, `node-${ordinal}`);
      return {
        ordinal,
        name: podName(ordinal),
        ip: nodeIp(ordinal),
        address: advertisedAddress(ordinal),
        dir,
        logFile: join(dir, 'server.log'),
      };
    });
  }

  /** Fabric addresses of the nodes that were started and are not stopped or killed. */
  liveAddresses(): string[] {
    return this.nodes.filter((n) => this.isRunning(n.ordinal)).map((n) => n.address);
  }

  /**
   * The same addresses, the node running longest first: restatectl asks the first that answers, and a node that
   * has just started answers cluster-wide queries (the partition state) from a picture it has not completed yet.
   */
  steadyAddresses(): string[] {
    return this.nodes
      .filter((n) => this.isRunning(n.ordinal))
      .sort((a, b) => this.running.get(a.ordinal)!.startedAt - this.running.get(b.ordinal)!.startedAt)
      .map((n) => n.address);
  }

  /** The server process of a node's latest start (its PID is the server's: launchers exec), if it was started. */
  processOf(ordinal: number): ManagedProcess | undefined {
    return this.running.get(ordinal);
  }

  /** How often each node was started in this run, by ordinal. */
  public readonly starts = new Map<number, number>();

  isRunning(ordinal: number): boolean {
    return this.running.get(ordinal)?.running() ?? false;
  }

  /** The nodes of the RestateCluster as shipped: `restate-0..replicas-1`. */
  private initial(): readonly LocalNode[] {
    return this.nodes.slice(0, this.props.cluster.replicas);
  }

  /** Starts the cluster's `replicas` nodes and waits until each one's fabric port accepts connections. */
  async start(deadline: Deadline): Promise<void> {
    for (const node of this.nodes) {
      for (const [service, port] of SERVICES) {
        if (!(await portFree(node.ip, port))) {
          throw new VerifyError(
            `port ${node.ip}:${port} (${service} of ${node.name}) is already taken by another process; stop it and run again`,
          );
        }
      }
    }
    writeFileSync(this.configFile, this.props.cluster.config);
    const nodes = this.initial();
    for (const node of nodes) this.spawnNode(node);
    await pollUntil(`all ${nodes.length} nodes listening on their fabric port ${FABRIC_PORT}`, deadline, 100, async () => {
      const exited = nodes.find((n) => this.running.get(n.ordinal)?.exit !== undefined);
      if (exited) {
        const exit = this.running.get(exited.ordinal)!.exit!;
        throw new VerifyError(
          `${exited.name} exited during start-up (${describeExit(exit)}); its log says:\n      ${logTail(exited.logFile)}`,
        );
      }
      const waiting: string[] = [];
      for (const n of nodes) if (!(await accepts(n.ip, FABRIC_PORT))) waiting.push(n.name);
      return waiting.length === 0 ? { done: true, value: undefined } : { done: false, reason: `not listening yet: ${waiting.join(', ')}` };
    }).catch((error: Error) => {
      throw error.message.includes('exited during start-up') ? error : new VerifyError(`${error.message}\n      ${this.logSummary()}`);
    });
  }

  private spawnNode(node: LocalNode): void {
    const data = join(node.dir, 'data');
    const tmp = join(node.dir, 'tmp');
    mkdirSync(data, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    const uid = this.props.uids?.[node.ordinal];
    if (uid !== undefined) for (const dir of [node.dir, data, tmp]) chownSync(dir, uid, uid);
    const pod = operatorPodEnv(this.props.cluster, node.ordinal, { baseDir: data, configFile: this.configFile });
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: tmp,
      TMPDIR: tmp,
      ...pod.env,
      // Pods have their own IPs; here each node gets its own loopback address with the pod's ports.
      RESTATE_BIND_ADDRESS: `${node.ip}:${FABRIC_PORT}`,
      RESTATE_ADMIN__BIND_ADDRESS: `${node.ip}:${ADMIN_PORT}`,
      RESTATE_INGRESS__BIND_ADDRESS: `${node.ip}:${INGRESS_PORT}`,
      ...this.props.extraEnv,
    };
    // The launcher (a pod's DNS view) switches to the uid itself; without one, the process is spawned as it.
    const binary = this.serverBinaryOf(node.ordinal);
    const launch = this.props.launch?.(node, binary, []);
    const proc = new ManagedProcess({
      label: node.name,
      file: launch?.file ?? binary,
      args: launch?.args ?? [],
      cwd: node.dir,
      env,
      logFile: node.logFile,
      ...(uid === undefined || launch !== undefined ? {} : { uid }),
    });
    this.running.set(node.ordinal, proc);
    this.starts.set(node.ordinal, (this.starts.get(node.ordinal) ?? 0) + 1);
  }

  /**
   * Starts a node that is not running (again) on its own data and config, as the StatefulSet starts a pod onto
   * its PVC (a new pod of a scale-out gets an empty one), and waits until its fabric port accepts connections.
   * With `serverBinary`, the node runs that binary from now on (a new image in its pod template).
   */
  async restart(ordinal: number, deadline: Deadline, options: { readonly serverBinary?: string } = {}): Promise<void> {
    if (this.isRunning(ordinal)) throw new Error(`${podName(ordinal)} is still running`);
    const node = this.nodes[ordinal];
    if (node === undefined) throw new Error(`${podName(ordinal)} is beyond the run's ${this.nodes.length} pods`);
    if (options.serverBinary !== undefined) this.binaries.set(ordinal, options.serverBinary);
    this.spawnNode(node);
    await pollUntil(`${node.name} listening on its fabric port`, deadline, 100, async () => {
      const exit = this.running.get(ordinal)?.exit;
      if (exit)
        throw new VerifyError(`${node.name} exited after its start (${describeExit(exit)}); its log says:\n      ${logTail(node.logFile)}`);
      return (await accepts(node.ip, FABRIC_PORT)) ? { done: true, value: undefined } : { done: false, reason: 'not listening yet' };
    });
  }

  /** The binary node `ordinal` runs (or ran last). */
  serverBinaryOf(ordinal: number): string {
    return this.binaries.get(ordinal) ?? this.props.serverBinary;
  }

  /**
   * Starts a node that is expected to exit by itself (a node the cluster refuses) and resolves with how it ended;
   * fails if it is still running at the deadline.
   */
  async startUntilExit(ordinal: number, deadline: Deadline): Promise<ProcessExit> {
    if (this.isRunning(ordinal)) throw new Error(`${podName(ordinal)} is still running`);
    const node = this.nodes[ordinal];
    if (node === undefined) throw new Error(`${podName(ordinal)} is beyond the run's ${this.nodes.length} pods`);
    this.spawnNode(node);
    return pollUntil(`${node.name} exiting by itself`, deadline, 100, async () => {
      const exit = this.running.get(ordinal)?.exit;
      return exit ? { done: true, value: exit } : { done: false, reason: 'still running' };
    });
  }

  /** SIGKILLs one node by its PID and waits until it is gone. */
  async kill(ordinal: number): Promise<void> {
    await this.running.get(ordinal)?.stop('SIGKILL');
  }

  /**
   * Stops one node as the kubelet stops a pod: SIGTERM, then SIGKILL after the grace period (Kubernetes'
   * default `terminationGracePeriodSeconds` is 30; the operator sets none). Resolves with how it ended.
   */
  async terminate(ordinal: number, graceMs = 30_000): Promise<string> {
    const r = this.running.get(ordinal);
    if (!r?.running()) return 'not running';
    return describeExit(await r.stop('SIGTERM', graceMs));
  }

  /** Removes a stopped node's data and temp folder: its PersistentVolumeClaim deleted. */
  removeData(ordinal: number): void {
    if (this.isRunning(ordinal)) throw new Error(`${podName(ordinal)} is still running`);
    rmSync(this.nodes[ordinal].dir, { recursive: true, force: true });
  }

  /** SIGKILLs every node still running, by PID, and waits for each (the data is thrown away anyway). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.ordinal)));
  }

  /**
   * For signal handlers, where nothing async runs any more: SIGKILLs every node by PID and waits (bounded)
   * until each is no longer running, so its folder can go.
   */
  stopSync(): void {
    killAndWaitSync([...this.running.values()].filter((r) => r.running()).map((r) => r.pid));
  }

  /** Removes every folder and file the nodes used. */
  removeFiles(): void {
    for (const node of this.nodes) rmSync(node.dir, { recursive: true, force: true });
    rmSync(this.configFile, { force: true });
  }

  /** One line per node with its last telling log lines, for failure messages. */
  logSummary(): string {
    return this.nodes.map((n) => `${n.name}: ${logTail(n.logFile, 3)}`).join('\n      ');
  }
}
