import { parseArgs } from 'node:util';
import { DeployError } from './errors';
import { emptyFlag, emptyFlagMessage, TARGET_OPTIONS } from '../cli/target-options';
import { ExitCode } from '../errors/user-error';

export const COMMANDS = ['build', 'preview', 'promote', 'provision', 'status', 'recover'] as const;
export type Command = (typeof COMMANDS)[number];

export interface DeployArgs {
  readonly command: Command;
  readonly environment: string;
  readonly provider: string;
  /** Folder of the values files. */
  readonly valuesDir: string;
  /** Root of the synthesized targets; the target is `<dist>/<environment>/<provider>/`. */
  readonly dist: string;
  /** kube context to use instead of kubectl's current one. */
  readonly context?: string;
  /** Go on when the context used is not the environment's `deploy.kubeContext`. */
  readonly allowContextMismatch: boolean;
  /** Upper bound of every single wait of promote, and the provisioning script's deadline, in seconds. */
  readonly timeoutSeconds: number;
  /** Pass `--force-conflicts` to server-side apply and diff. */
  readonly forceConflicts: boolean;
  /** recover: the pod (= node) that lost its volume. */
  readonly node?: string;
  /** recover: go on without asking. */
  readonly yes?: boolean;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

export const DEPLOY_USAGE = `usage: tsx lib/deploy/cli.ts COMMAND --environment ENV --provider PROVIDER [options]

commands:
  build       synthesize the target into <dist>/<environment>/<provider>/ (same code as npm run synth)
  preview     kubectl diff --server-side of the target against the cluster, in promote order
  promote     apply the target in order, wait for each step, provision, wait for the cluster to be Ready
              (preview and promote first refuse a target folder that differs from a fresh synth of the values)
              (a SOPS-encrypted credentials Secret is decrypted with the sops CLI and applied once the
              cluster namespace exists; an existing-secret one is checked there)
  provision   run the provisioning script in pod restate-0, then restatectl status (safe to repeat)
  status      the RestateCluster's conditions, its pods, its credentials Secret and restatectl status
              (and a pod crash-looping after it lost its volume, with the recover command to run)
  recover     for a node that lost its volume (--node restate-N): show the measured recovery, ask, run it
              through kubectl exec in a healthy pod and wait after each step (--yes: do not ask)

options:
  -e, --environment ENV       environment (values/environments/ENV.yaml)
  -p, --provider PROVIDER     provider (values/providers/PROVIDER.yaml)
  --values-dir DIR            values folder (default: values)
  --dist DIR                  build/preview/promote: folder of synthesized targets (default: dist)
  --context NAME              kube context to use (default: kubectl's current context)
  --allow-context-mismatch    go on although the context is not the environment's deploy.kubeContext
  --timeout SECONDS           promote/recover: upper bound of each wait; provision: the script's deadline (default: ${DEFAULT_TIMEOUT_SECONDS})
  --node POD                  recover: the pod that lost its volume, e.g. restate-2
  --yes                       recover: run the steps without asking (needed without a terminal)
  --force-conflicts           preview/promote: take over fields another field manager owns (see docs/deploying.md)`;

/** Parses the deploy command line; mistakes are DeployErrors with exit status 2. */
export function parseDeployArgs(argv: readonly string[]): DeployArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        ...TARGET_OPTIONS,
        dist: { type: 'string', default: 'dist' },
        context: { type: 'string' },
        'allow-context-mismatch': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        'force-conflicts': { type: 'boolean', default: false },
        node: { type: 'string' },
        yes: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const empty = emptyFlag(values, ['environment', 'provider', 'values-dir', 'dist', 'context', 'timeout', 'node']);
  if (empty) throw usageError(emptyFlagMessage(empty));

  if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'name a command' : `one command only, got: ${positionals.join(' ')}`);
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command)) throw usageError(`unknown command "${positionals[0]}"; known: ${COMMANDS.join(', ')}`);

  if (!values.environment || !values.provider) throw usageError('--environment and --provider are both required');

  const clusterOnly = (['context', 'allow-context-mismatch'] as const).filter((flag) => values[flag] !== undefined && values[flag] !== false);
  if (command === 'build' && clusterOnly.length > 0) throw usageError(`--${clusterOnly[0]} does not apply to build`);
  if (values['force-conflicts'] && command !== 'preview' && command !== 'promote') {
    throw usageError('--force-conflicts only applies to preview and promote');
  }
  if (values.timeout !== undefined && command !== 'promote' && command !== 'provision' && command !== 'recover') {
    throw usageError('--timeout only applies to promote, provision and recover');
  }
  if ((values.node !== undefined || values.yes) && command !== 'recover') throw usageError(`--${values.node !== undefined ? 'node' : 'yes'} only applies to recover`);
  if (command === 'recover' && values.node === undefined) throw usageError('recover needs --node: the pod that lost its volume, e.g. --node restate-2');

  return {
    command,
    environment: values.environment,
    provider: values.provider,
    valuesDir: values['values-dir']!,
    dist: values.dist!,
    context: values.context,
    allowContextMismatch: values['allow-context-mismatch']!,
    timeoutSeconds: values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parseTimeout(values.timeout),
    forceConflicts: values['force-conflicts']!,
    ...(command === 'recover' ? { node: values.node, yes: values.yes } : {}),
  };
}

function parseTimeout(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 86400) {
    throw usageError(`--timeout must be a whole number of seconds between 1 and 86400, got "${text}"`);
  }
  return Number(text);
}

function usageError(message: string): DeployError {
  return new DeployError(`${message}\n${DEPLOY_USAGE}`, ExitCode.INVALID_INPUT);
}
