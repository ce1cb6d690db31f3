import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import { tcpConnect } from './http-call';
import { logTail } from './local-cluster';
import { killAndWaitSync } from './pids';
import type { PodView } from './pod-view';
import { type ModelPod, podEnv, podHome, spawnAsPod, tsxArgv } from './pods';

/** The port Restate service deployments listen on by convention. */
export const SERVICE_PORT = 9080;

const SERVICE_FILE = join(__dirname, 'app', 'counter-service.ts');

/** The SDK service (app/counter-service.ts) running as an application pod. */
export class ServiceApp {
  private child?: ChildProcess;
  private exit?: string;
  public readonly logFile: string;

  constructor(
    public readonly pod: ModelPod & { readonly ip: string },
    private readonly workDir: string,
    /** The pod's DNS view. @default - none: the sandbox's files */
    private readonly view?: PodView,
    /** The name users register it by (its Service's DNS name). @default - the pod's IP */
    private readonly host?: string,
  ) {
    this.logFile = join(workDir, `service-${pod.name}.log`);
  }

  /** The URI a user registers: the pod's address and the service port. */
  get uri(): string {
    return `http://${this.host ?? this.pod.ip}:${SERVICE_PORT}`;
  }

  async start(deadline: Deadline): Promise<void> {
    const home = podHome(this.workDir, this.pod);
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawnAsPod(this.pod, tsxArgv(SERVICE_FILE, [`${this.pod.ip}:${SERVICE_PORT}`]), this.view, {
        env: podEnv(home),
        stdio: ['ignore', log, log],
        detached: true,
      });
      child.once('exit', (code, signal) => (this.exit = signal ?? `exit status ${code}`));
      this.child = child;
    } finally {
      closeSync(log);
    }
    await pollUntil(`the service pod listening on ${this.pod.ip}:${SERVICE_PORT}`, deadline, 100, async () => {
      if (this.exit) throw new VerifyError(`the service exited (${this.exit}): ${logTail(this.logFile)}`);
      const c = await tcpConnect(this.pod.ip, SERVICE_PORT, 500);
      return c.connected ? { done: true, value: undefined } : { done: false, reason: c.error ?? 'not listening' };
    });
  }

  stopSync(): void {
    if (this.child?.pid !== undefined && this.exit === undefined) killAndWaitSync([this.child.pid]);
  }
}
