import { join } from 'node:path';
import { ManifestError } from '../target-folder/manifest-error';
import { applyAcknowledgements, loadTargetValues, renderReplication, sopsFilePath, targetDir, ValuesError, warningLines } from '../values';
import type { DeployArgs } from './args';
import { chooseContext, configuredContext, missingContextError } from './context';
import { DeployError } from './errors';
import { contextExistsArgs, currentContextArgs } from './kubectl';
import { preview, previewFailureHints } from './preview';
import { promote } from './promote';
import { provisionInPod } from './provision';
import type { Kubectl } from './process';
import { type Reporter, Session, type WaitTiming } from './session';
import { type Sops, SopsProcess } from './sops';
import { status } from './status';
import { type Confirm, recover } from './recover';
import { assertFresh } from './fresh';
import { refusePlaceholders } from './placeholders';
import { credentialsSecret } from './credentials';
import { checkDeployTools, type ToolProbe } from './tools';
import { type DeployTarget, locateTarget, rebuildHint } from './target';

export interface DeployDeps {
  readonly kubectl: Kubectl;
  readonly report: Reporter;
  /**
   * Polling of promote's last wait and recover's waits (the tests run them on a clock of their own).
   * @default DEFAULT_WAIT_TIMING - a look every 2 s, a progress line at least every 10 s, the wall clock
   */
  readonly waitTiming?: WaitTiming;
  /**
   * The `helm` program for building a target with the `helm` delivery.
   * @default "helm" from PATH
   */
  readonly helmExecutable?: string;
  /**
   * Decrypts the SOPS-encrypted credentials Secret during promote.
   * @default the `sops` CLI from PATH
   */
  readonly sops?: Sops;
  /**
   * Asks kubectl (and sops) for their versions; the cluster commands check them first (tools.ts).
   * @default - no check (the command-line edge passes the programs on PATH)
   */
  readonly tools?: ToolProbe;
  /**
   * Asks the user before recover changes the cluster.
   * @default - nobody to ask: recover needs --yes
   */
  readonly confirm?: Confirm;
  /**
   * Checks once, before any call to a cluster, that the kubeconfig holds the chosen context (`kubectl config
   * get-contexts NAME`), so that a missing one is one line instead of a failure of every call.
   * @default false - no check (the command-line edge checks)
   */
  readonly checkContextExists?: boolean;
}

/**
 * Runs one deploy command and returns the process exit status. Every failure the user can act on is reported
 * as a message (never a stack trace), with its exit code (`ExitCode`): INVALID_INPUT for wrong arguments and values
 * and for a synthesized or committed manifest that cannot be read back (`ManifestError`), FAILED for everything else.
 */
export function runDeploy(args: DeployArgs, deps: DeployDeps): number {
  const { report } = deps;
  try {
    return dispatch(args, deps);
  } catch (error) {
    if (error instanceof ValuesError) {
      report.warn(`${args.command}: invalid values:\n${error.message}`);
      return error.exitCode;
    }
    if (error instanceof DeployError || error instanceof ManifestError) {
      report.warn(`${args.command}: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}

function dispatch(args: DeployArgs, deps: DeployDeps): number {
  const { report } = deps;
  if (args.command === 'build') {
    // Loaded here: the synth pulls in cdk8s and the constructs, which the cluster commands do not need.
    const { runSynth } = require('../synth/run') as typeof import('../synth/run');
    const result = runSynth(
      { environment: args.environment, provider: args.provider, valuesDir: args.valuesDir, outdir: args.dist, allowStorageChange: false },
      { helmExecutable: deps.helmExecutable },
    );
    for (const line of warningLines(result.warnings, result.written)) report.warn(line);
    const [outcome] = result.outcomes;
    report.info(
      `synthesized ${join(args.dist, args.environment, args.provider)}: ${outcome ? outcome.status : 'written'}${outcome?.status === 'changed' ? ` (${outcome.files.join(', ')})` : ''}`,
    );
    return 0;
  }

  const loaded = loadTargetValues(args.valuesDir, args.environment, args.provider);
  const { values } = loaded;
  // Only the values' own warnings are known here (synth's change rules add the rest), so an acknowledgement of one of
  // those would look unused: deploy leaves that to synth and plan.
  const { shown } = applyAcknowledgements(loaded.warnings, new Map([[targetDir(values), loaded.acknowledgements]]), false);
  for (const line of warningLines(shown, [targetDir(values)])) report.warn(line);
  if (deps.tools) checkDeployTools(deps.tools, { sops: args.command === 'promote' && credentialsSecret(values)?.source === 'sops' });
  // preview and promote work on the synthesized files, which must be what the values synthesize now;
  // provision and status only need the values.
  let target: DeployTarget | undefined;
  if (args.command === 'preview' || args.command === 'promote') {
    target = locateTarget(args.dist, values, args.valuesDir);
    refusePlaceholders(loaded, target.folder);
    assertFresh(target.folder, loaded, args.valuesDir, rebuildHint(values), deps.helmExecutable);
  }

  let current: string | undefined;
  if (args.context === undefined) {
    const result = deps.kubectl.run(currentContextArgs());
    current = result.code === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
  }
  const choice = chooseContext({
    environment: values.environment,
    requested: args.context,
    current,
    ...configuredContext(values.deploy, values.provider),
    allowMismatch: args.allowContextMismatch,
  });
  if (choice.warning) report.warn(`warning: ${choice.warning}`);
  if (deps.checkContextExists) {
    const known = deps.kubectl.run(contextExistsArgs(choice.context));
    if (known.code !== 0) throw missingContextError(choice.context, known.stderr || known.stdout);
  }
  const session = new Session(deps.kubectl, choice.context, report, deps.waitTiming, args.command);
  report.info(`${args.command} ${targetDir(values)} (cluster ${values.clusterName}) on kube context "${choice.context}"`);

  switch (args.command) {
    case 'preview': {
      const result = preview(session, target!, { forceConflicts: args.forceConflicts });
      if (result.failed.length > 0) {
        report.warn(
          `preview: kubectl diff failed for ${result.failed.length} of the files. ${previewFailureHints(result.failed, choice.context)}`,
        );
        return 1;
      }
      const notDiffed = result.skipped.length > 0 ? ` (${result.skipped.length} file(s) not diffed, see above)` : '';
      report.info(
        (result.changed.length === 0
          ? 'preview: the cluster matches the target'
          : `preview: ${result.changed.length} file(s) would change the cluster`) + notDiffed,
      );
      return 0;
    }
    case 'promote':
      promote(
        session,
        target!,
        { timeoutSeconds: args.timeoutSeconds, forceConflicts: args.forceConflicts },
        deps.sops ?? new SopsProcess(),
      );
      return 0;
    case 'provision':
      provisionInPod(
        session,
        values.clusterName,
        args.timeoutSeconds,
        values.replicas,
        renderReplication(values.restate.defaultReplication),
      );
      report.info(`provision: RestateCluster ${values.clusterName} is provisioned`);
      return 0;
    case 'status': {
      const result = status(session, values, { sopsFile: sopsFilePath(args.valuesDir, values) });
      return result.ready && result.provisioned && result.credentials && result.dataLoss.length === 0 && result.locations ? 0 : 1;
    }
    case 'recover':
      recover(
        session,
        values,
        { node: args.node!, yes: args.yes ?? false, confirm: deps.confirm ?? (() => 'no-tty') },
        args.timeoutSeconds,
      );
      return 0;
  }
}
