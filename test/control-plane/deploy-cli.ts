/**
 * `deploy:promote` and `deploy:preview` as a user runs them (`node scripts/bundle-cache/run.js lib/deploy/cli.ts …`,
 * the npm scripts' command), in a child process inside the control plane's network namespace, with the real kubectl
 * built from ./go.mod first on PATH; and what does not run here, looping in this process meanwhile: the stand-ins
 * (./argocd-operator-stand-in.ts, ./volume-stand-in.ts, ./kubelet-stand-in.ts) and the operator's part (lib/operator-part/reconcile.ts). Promote is synchronous
 * (spawnSync, Atomics.wait), so it needs a process of its own for anything to change while it waits.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type OperatorPartOptions, reconcileClusters } from '../../lib/operator-part/reconcile';
import { STAND_IN_DIR } from '../fixtures/kubectl-stand-in';
import { argocdPass } from './argocd-operator-stand-in';
import type { ControlPlane, RunResult } from '../../lib/control-plane/harness';
import { type KubeletStandInOptions, kubeletPass } from './kubelet-stand-in';
import { volumePass } from '../../lib/control-plane/volume-stand-in';

const REPO = resolve(__dirname, '..', '..');

/** Names the admin of the control plane under the kube context a target's values expect (`deploy.kubeContext`). */
export async function addContext(cp: ControlPlane, name: string): Promise<void> {
  await cp.kubectl(['config', 'set-context', name, '--cluster=test', '--user=admin']);
}

export interface DeployCliOptions {
  /**
   * A kubectl that sends `commands` (`exec`, `logs`: they need a kubelet) to the recording stand-in
   * (test/fixtures/kubectl) with these scenario lines, and everything else to the real kubectl.
   * @default - the real kubectl for every call
   */
  readonly recorded?: { readonly commands: readonly ('exec' | 'logs')[]; readonly rules: readonly string[] };
  readonly timeoutMs?: number;
}

/** Runs `lib/deploy/cli.ts` with `args`; never rejects on its exit status. */
export async function deployCli(
  cp: ControlPlane,
  args: readonly string[],
  options: DeployCliOptions = {},
): Promise<RunResult & { recordedCalls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-cli-'));
  try {
    let path = `${cp.binaries.dir}:${process.env.PATH ?? ''}`;
    // A discovery cache of its own: every test control plane is https://127.0.0.1:6443, so kubectl's default cache
    // (~/.kube/cache) would hold the kinds another test's server served.
    const env: NodeJS.ProcessEnv = { KUBECACHEDIR: join(dir, 'cache') };
    if (options.recorded) {
      // The recording stand-in answers what a kubelet would serve; the real kubectl everything else.
      writeFileSync(join(dir, 'scenario'), `${options.recorded.rules.join('\n')}\n`);
      const kubectl = join(dir, 'kubectl');
      writeFileSync(
        kubectl,
        [
          '#!/bin/sh',
          'skip=',
          'for arg in "$@"; do',
          '  if [ -n "$skip" ]; then skip=; continue; fi',
          '  case $arg in',
          '    --context|-n|--namespace) skip=1 ;;',
          `    ${options.recorded.commands.join('|')}) exec ${join(STAND_IN_DIR, 'kubectl')} "$@" ;;`,
          `    -*) ;;`,
          `    *) exec ${cp.binaries.paths.kubectl} "$@" ;;`,
          '  esac',
          'done',
          `exec ${cp.binaries.paths.kubectl} "$@"`,
          '',
        ].join('\n'),
      );
      chmodSync(kubectl, 0o755);
      path = `${dir}:${path}`;
      Object.assign(env, { KUBECTL_LOG: join(dir, 'calls.log'), KUBECTL_SCENARIO: join(dir, 'scenario') });
    }
    // Through env(1): cp.run puts the built kubectl's folder first on PATH, and the wrapper must come before it.
    const cli = [process.execPath, join(REPO, 'scripts', 'bundle-cache', 'run.js'), join(REPO, 'lib', 'deploy', 'cli.ts'), ...args];
    const result = await cp.run('env', [`PATH=${path}`, ...cli], { check: false, timeoutMs: options.timeoutMs ?? 240_000, env });
    const log = join(dir, 'calls.log');
    const recordedCalls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
    return { ...result, recordedCalls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The stand-ins, looping until stopped: each pass reads the cluster and writes what its part would. */
export class StandIns {
  /** What the kubelet stand-in does; a test may change it between or during runs. */
  kubelet: KubeletStandInOptions = {};
  /**
   * Whether the loop makes the claims' volumes (./volume-stand-in.ts). Off where a podlet runs: it makes the volumes
   * of its pods itself, with the folders it mounts, and two makers would race for one claim.
   */
  volumes = true;
  /**
   * Whether the loop runs the operator's part (lib/operator-part/reconcile.ts). Off where a real restate-operator
   * binary runs (./operator-binary.ts): two writers of one cluster's objects would fight.
   */
  operatorPart = true;
  /** The operator version the part plays, and its hook for 2.8.1's provisioning call (lib/operator-part/reconcile.ts). */
  operator: OperatorPartOptions = { version: '1.7.4' };
  /** The last error of a pass (a pass fails while the objects it reads are not there yet; the next one retries). */
  lastError: string | undefined;
  private running = true;
  private readonly loop: Promise<void>;
  private readonly synced = new Map<string, number>();

  constructor(
    private readonly cp: ControlPlane,
    private readonly argocdNamespace = 'argocd',
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await argocdPass(this.cp, this.argocdNamespace, this.synced);
        if (this.operatorPart) await reconcileClusters((args, options) => this.cp.kubectl(args, options), this.operator);
        if (this.volumes) await volumePass(this.cp);
        await kubeletPass(this.cp, this.kubelet);
        this.lastError = undefined;
      } catch (error) {
        if (!this.running) break;
        this.lastError = (error as Error).message;
      }
      await new Promise((done) => setTimeout(done, 250));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
