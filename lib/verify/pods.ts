import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { resolveRestateBinaries } from './binaries';
import { VerifyError } from './errors';
import type { HttpCallRequest, HttpCallResponse } from './http-call';
import { killAndWaitSync } from './pids';
import type { AgentOp, AgentReply, AgentRequest } from './pod-protocol';
import type { PodNeed } from './pod-reach';
import type { PodView } from './pod-view';

/**
 * A pod of the model: where it lives, how it is labelled (what NetworkPolicies select), and the uid its
 * processes run as. On one loopback interface every connection leaves from 127.0.0.1, so the uid is what the
 * nftables rules match the pod by (`meta skuid`); `ip` is the loopback address it listens on, if it serves.
 */
export interface ModelPod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly uid: number;
  readonly ip?: string;
}

/** The argv of a program run as a TypeScript file under tsx, with the same Node as this process. */
export function tsxArgv(file: string, args: readonly string[] = []): string[] {
  return [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, file, ...args];
}

/**
 * A folder for one pod's HOME and TMPDIR, owned by its uid (tsx keeps its cache in TMPDIR). `workDir` must be
 * traversable by others.
 */
export function podHome(workDir: string, pod: ModelPod): string {
  const dir = join(workDir, 'pods', `${pod.namespace}.${pod.name}`);
  mkdirSync(dir, { recursive: true });
  chownSync(dir, pod.uid, pod.uid);
  return dir;
}

/** The environment a pod's process starts with: nothing of the orchestrator's own. */
export function podEnv(home: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, TMPDIR: home, NO_COLOR: '1', ...extra };
}

const AGENT = join(__dirname, 'pod-agent.ts');

/** The first pod's uid; the model gives each pod its own from here up (model.ts). */
export const POD_UID_BASE = 30000;

/**
 * What every pod's uid must be able to use: Node, the project, the agent under tsx, the Restate binaries from npm
 * (when installed) and the scripts the Jobs run. Checked once, before any pod starts (pod-reach.ts).
 */
export function podNeeds(): PodNeed[] {
  const root = join(__dirname, '..', '..');
  const needs: PodNeed[] = [
    { path: process.execPath, access: 'x' },
    { path: root, access: 'x' },
    { path: AGENT, access: 'r' },
    { path: require.resolve('tsx'), access: 'r' },
    { path: join(root, 'lib', 'stack', 'provisioning', 'provision.sh'), access: 'r' },
  ];
  try {
    const { server, restatectl } = resolveRestateBinaries();
    needs.push({ path: server, access: 'x' }, { path: restatectl, access: 'x' });
  } catch {
    // not installed: the steps that need them say so themselves
  }
  return needs;
}

/**
 * Spawns `argv` as the pod's uid: through its DNS view when it has one (the view's mount namespace is set up
 * as root, then the uid is taken), else directly.
 */
export function spawnAsPod(pod: ModelPod, argv: readonly string[], view: PodView | undefined, options: SpawnOptions): ChildProcess {
  const [file, ...args] = argv;
  if (view) {
    const c = view.command(file, args, pod.uid);
    return spawn(c.file, [...c.args], options);
  }
  return spawn(file, args, { ...options, uid: pod.uid, gid: pod.uid });
}

/**
 * A long-lived process standing in for a client pod (the Job's neighbour, Prometheus, an application): it makes
 * HTTP calls and TCP connections on request, as the pod's uid, so what it can reach is what the rules allow it.
 */
export class PodAgent {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: AgentReply) => void>();

  constructor(
    public readonly pod: ModelPod,
    private readonly workDir: string,
    /** The pod's DNS view; without one the agent resolves with the sandbox's files. @default - none */
    private readonly view?: PodView,
  ) {}

  async start(timeoutMs = 15_000): Promise<void> {
    const home = podHome(this.workDir, this.pod);
    const child = spawnAsPod(this.pod, tsxArgv(AGENT), this.view, {
      env: podEnv(home),
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    });
    this.child = child;
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new VerifyError(`pod ${this.pod.namespace}/${this.pod.name}: its agent did not start within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new VerifyError(`pod ${this.pod.namespace}/${this.pod.name}: its agent exited (${signal ?? code})`));
      });
      lines.once('line', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    lines.on('line', (line) => {
      const reply = JSON.parse(line) as AgentReply;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  private ask(request: AgentOp, timeoutMs: number): Promise<AgentReply> {
    const child = this.child;
    if (!child?.stdin) return Promise.reject(new Error(`pod ${this.pod.name} is not started`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`pod ${this.pod.name}: no answer from its agent within ${timeoutMs} ms`));
      }, timeoutMs + 2000);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      const line: AgentRequest = { ...request, id };
      child.stdin!.write(`${JSON.stringify(line)}\n`);
    });
  }

  /** An HTTP call from this pod; rejects on a connection error or the call's time limit. */
  async http(call: HttpCallRequest): Promise<HttpCallResponse> {
    const reply = await this.ask({ op: 'http', call }, call.timeoutMs);
    if (!reply.ok) throw new Error(reply.error);
    return { status: reply.status ?? 0, body: reply.body ?? '' };
  }

  /** Whether this pod gets a TCP connection to host:port, and if not, the error it saw. */
  async connect(host: string, port: number, timeoutMs: number): Promise<{ connected: boolean; error?: string }> {
    const reply = await this.ask({ op: 'connect', host, port, timeoutMs }, timeoutMs);
    if (!reply.ok) return { connected: false, error: reply.error };
    return { connected: reply.connected === true, ...(reply.error ? { error: reply.error } : {}) };
  }

  stopSync(): void {
    if (this.child?.pid !== undefined && this.child.exitCode === null) killAndWaitSync([this.child.pid]);
  }
}
