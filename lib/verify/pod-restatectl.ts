/**
 * restatectl as the deploy tasks run it on a real cluster: `kubectl exec` into a running Restate pod (the podlet runs
 * it there, as the pod's uid, with the pod's names resolving), so the checks of ./cluster-checks.ts read the real
 * pods through the real API server and kubectl. The addresses are the nodes' advertised ones, which resolve inside
 * the pod's namespace.
 */
import type { ControlPlane } from '../control-plane/harness';
import { RESTATE_CONTAINER } from '../target-folder/operator-names';
import { type CommandResult, Restatectl } from './restatectl';

export class PodRestatectl extends Restatectl {
  /**
   * @param namespace the cluster's namespace
   * @param pod the pod to exec into now (the caller picks a running one, e.g. not the node it just killed)
   */
  constructor(
    private readonly cp: ControlPlane,
    private readonly namespace: string,
    private readonly pod: () => string,
  ) {
    super('restatectl', {});
  }

  /** `kubectl exec <pod> -- restatectl --address … ARGS`; never rejects (a kubectl failure is its exit status). */
  override async run(addresses: readonly string[], args: readonly string[], timeoutMs = 15_000): Promise<CommandResult> {
    return this.exec(['restatectl', '--address', addresses.join(','), ...args], { timeoutMs });
  }

  /** Any command in the pod (stdin from `input`); never rejects. */
  async exec(
    argv: readonly string[],
    options: { readonly timeoutMs: number; readonly input?: string; readonly pod?: string },
  ): Promise<CommandResult> {
    const started = Date.now();
    const pod = options.pod ?? this.pod();
    const stdin = options.input === undefined ? [] : ['-i'];
    try {
      const run = await this.cp.kubectl(['-n', this.namespace, 'exec', ...stdin, pod, '-c', RESTATE_CONTAINER, '--', ...argv], {
        check: false,
        timeoutMs: options.timeoutMs,
        ...(options.input === undefined ? {} : { input: options.input }),
      });
      return { code: run.code, stdout: run.stdout, stderr: run.stderr, ms: Date.now() - started };
    } catch (error) {
      return { code: null, stdout: '', stderr: `kubectl exec into ${pod}: ${(error as Error).message}`, ms: Date.now() - started };
    }
  }
}
