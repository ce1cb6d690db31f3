import type { DeployArgs } from '../../lib/deploy/args';
import { runDeploy } from '../../lib/deploy/run';
import { KubectlProcess } from '../../lib/deploy/runner';
import type { Reporter } from '../../lib/deploy/session';
import type { Sops } from '../../lib/deploy/sops';
import { KubectlStandIn, type Rule } from '../fixtures/kubectl-stand-in';
import { REPO_VALUES } from './values-dir';

/** What one in-process deploy command did: its exit code, the kubectl calls and what it printed. */
export interface DeployRun {
  readonly code: number;
  readonly calls: string[][];
  readonly out: string;
  readonly err: string;
  readonly kubectl: KubectlStandIn;
}

export interface DeployRunOptions {
  /** Folder of synthesized targets. */
  readonly dist: string;
  readonly provider: string;
  /** Every stand-in made is pushed here, for the test file to remove. */
  readonly cleanup: Array<{ remove(): void }>;
  readonly overrides?: Partial<DeployArgs>;
  readonly sops?: Sops;
  /** The helm program for the fresh synth that preview and promote compare the target folder with. */
  readonly helmExecutable?: string;
}

/** Runs one deploy command of `dev/<provider>` in-process against a stand-in kubectl answering with `rules`. */
export function deployWithStandIn(command: DeployArgs['command'], rules: readonly Rule[], options: DeployRunOptions): DeployRun {
  const kubectl = new KubectlStandIn(rules);
  options.cleanup.push(kubectl);
  const out: string[] = [];
  const err: string[] = [];
  const report: Reporter = { info: (line) => out.push(line), warn: (line) => err.push(line) };
  const args: DeployArgs = {
    command,
    environment: 'dev',
    provider: options.provider,
    valuesDir: REPO_VALUES,
    dist: options.dist,
    allowContextMismatch: false,
    timeoutSeconds: 300,
    forceConflicts: false,
    ...options.overrides,
  };
  const code = runDeploy(args, { kubectl: new KubectlProcess(kubectl.env()), report, helmExecutable: options.helmExecutable, ...(options.sops ? { sops: options.sops } : {}) });
  return { code, calls: kubectl.calls(), out: out.join('\n'), err: err.join('\n'), kubectl };
}
