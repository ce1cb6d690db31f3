import { parseArgs } from 'node:util';
import { DeployError } from './errors';
import { emptyFlag, emptyFlagMessage, TARGET_OPTIONS } from '../cli/target-options';
import { ExitCode } from '../errors/user-error';
import { unknownFlagMessage } from '../cli/suggest-flag';
import { didYouMean } from '../values/suggest';

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

/** The npm script (and mise task) of each command. */
export const COMMAND_SCRIPTS: Readonly<Record<Command, string>> = {
  build: 'deploy:build',
  preview: 'deploy:preview',
  promote: 'deploy:promote',
  provision: 'provision',
  status: 'status',
  recover: 'recover',
};

const COMMAND_SUMMARIES: Readonly<Record<Command, string>> = {
  build: 'Synthesizes the target into <dist>/<environment>/<provider>/ (the same code as npm run synth).',
  preview:
    'Shows what promote would change: kubectl diff --server-side of the target against the cluster, in promote order.\n' +
    'Refuses a target folder that differs from a fresh synth of the values.',
  promote:
    'Applies the target in order (operator, cluster, credentials, provisioning), waits for each step, and waits for the\n' +
    'cluster to be Ready. Refuses a target folder that differs from a fresh synth of the values. A SOPS-encrypted\n' +
    'credentials Secret is decrypted with the sops CLI and applied once the cluster namespace exists; an\n' +
    'existing-secret one is checked there.',
  provision: 'Runs the provisioning script in pod restate-0, then restatectl status (safe to repeat).',
  status:
    "The RestateCluster's conditions, its pods, its credentials Secret and restatectl status, in one view (and a pod\n" +
    'crash-looping after it lost its volume, with the recover command to run).',
  recover:
    'For a node that lost its volume (--node restate-N): shows the measured recovery, asks, runs it through kubectl exec\n' +
    'in a healthy pod and waits after each step (--yes: do not ask).',
};

type Flag =
  | 'environment'
  | 'provider'
  | 'values-dir'
  | 'dist'
  | 'context'
  | 'allow-context-mismatch'
  | 'timeout'
  | 'force-conflicts'
  | 'node'
  | 'yes';

const FLAG_HELP: ReadonlyArray<{ flag: Flag; text: string; commands: readonly Command[] }> = [
  { flag: 'environment', text: '-e, --environment ENV       environment (values/environments/ENV.yaml); required', commands: COMMANDS },
  { flag: 'provider', text: '-p, --provider PROVIDER     provider (values/providers/PROVIDER.yaml); required', commands: COMMANDS },
  { flag: 'values-dir', text: '--values-dir DIR            values folder (default: values)', commands: COMMANDS },
  {
    flag: 'dist',
    text: '--dist DIR                  folder of synthesized targets (default: dist)',
    commands: ['build', 'preview', 'promote'],
  },
  {
    flag: 'context',
    text: "--context NAME              kube context to use (default: kubectl's current context)",
    commands: ['preview', 'promote', 'provision', 'status', 'recover'],
  },
  {
    flag: 'allow-context-mismatch',
    text: "--allow-context-mismatch    go on although the context is not the environment's deploy.kubeContext",
    commands: ['preview', 'promote', 'provision', 'status', 'recover'],
  },
  {
    flag: 'timeout',
    text: `--timeout SECONDS           upper bound of each wait (default: ${DEFAULT_TIMEOUT_SECONDS})`,
    commands: ['promote', 'recover'],
  },
  {
    flag: 'timeout',
    text: `--timeout SECONDS           deadline of the provisioning script (default: ${DEFAULT_TIMEOUT_SECONDS})`,
    commands: ['provision'],
  },
  { flag: 'node', text: '--node POD                  the pod that lost its volume, e.g. restate-2; required', commands: ['recover'] },
  { flag: 'yes', text: '--yes                       run the steps without asking (needed without a terminal)', commands: ['recover'] },
  {
    flag: 'force-conflicts',
    text: '--force-conflicts           take over fields another field manager owns (see docs/deploying.md)',
    commands: ['preview', 'promote'],
  },
];

/** The usage of one command: what it does and only the options it takes. */
export function commandUsage(command: Command): string {
  const options = FLAG_HELP.filter((entry) => entry.commands.includes(command)).map((entry) => `  ${entry.text}`);
  const tools =
    command === 'build'
      ? ''
      : `\n\nneeds: ${command === 'promote' ? 'kubectl >= 1.31, and sops for a SOPS-encrypted credentials Secret' : 'kubectl >= 1.31'} (see docs/deploying.md#tools)`;
  return (
    `usage: npm run ${COMMAND_SCRIPTS[command]} -- --environment ENV --provider PROVIDER [options]\n` +
    `       mise run ${COMMAND_SCRIPTS[command]} --environment ENV --provider PROVIDER [options]\n\n` +
    `${COMMAND_SUMMARIES[command]}\n\noptions:\n${options.join('\n')}${tools}`
  );
}

/** The usage without a command: the commands, and where each one's own help is. */
export const DEPLOY_USAGE = `usage: npm run COMMAND -- --environment ENV --provider PROVIDER [options]   (or: mise run COMMAND …)

commands (each has its own --help, e.g. npm run deploy:promote -- --help):
${COMMANDS.map((command) => `  ${COMMAND_SCRIPTS[command].padEnd(16)}${COMMAND_SUMMARIES[command].split('\n')[0]}`).join('\n')}`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  dist: { type: 'string', default: 'dist' },
  context: { type: 'string' },
  'allow-context-mismatch': { type: 'boolean', default: false },
  timeout: { type: 'string' },
  'force-conflicts': { type: 'boolean', default: false },
  node: { type: 'string' },
  yes: { type: 'boolean', default: false },
} as const;

/** What `--help` asks for: the text to print (one command's usage, or the list of commands). */
export interface HelpRequest {
  readonly help: string;
}

/** The command named in argv, if it is one (for the usage shown with a mistake). */
function knownCommand(argv: readonly string[]): Command | undefined {
  return COMMANDS.find((command) => argv.includes(command));
}

/**
 * The name a mistake on this command line is reported under: the command's own (`status: unknown option …`), as
 * its later errors are, or `deploy` when the command line names none.
 */
export function reportedCommand(argv: readonly string[]): string {
  return knownCommand(argv) ?? 'deploy';
}

/** Parses the deploy command line; mistakes are DeployErrors with exit status 2. */
export function parseDeployArgs(argv: readonly string[]): DeployArgs | HelpRequest {
  let parsed;
  const named = knownCommand(argv);
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw usageError(unknownFlagMessage(error as Error, Object.keys(OPTIONS)), named);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: named && positionals.length === 1 ? commandUsage(named) : DEPLOY_USAGE };
  const empty = emptyFlag(values, ['environment', 'provider', 'values-dir', 'dist', 'context', 'timeout', 'node']);
  if (empty) throw usageError(emptyFlagMessage(empty), named);

  if (positionals.length !== 1)
    throw usageError(positionals.length === 0 ? 'name a command' : `one command only, got: ${positionals.join(' ')}`);
  const command = positionals[0] as Command;
  if (!COMMANDS.includes(command)) {
    throw usageError(`unknown command "${positionals[0]}"${didYouMean(positionals[0]!, COMMANDS)}; known: ${COMMANDS.join(', ')}`);
  }

  if (!values.environment || !values.provider) throw usageError('--environment and --provider are both required', command);

  const clusterOnly = (['context', 'allow-context-mismatch'] as const).filter(
    (flag) => values[flag] !== undefined && values[flag] !== false,
  );
  if (command === 'build' && clusterOnly.length > 0) throw usageError(`--${clusterOnly[0]} does not apply to build`, command);
  if (values['force-conflicts'] && command !== 'preview' && command !== 'promote') {
    throw usageError('--force-conflicts only applies to preview and promote', command);
  }
  if (values.timeout !== undefined && command !== 'promote' && command !== 'provision' && command !== 'recover') {
    throw usageError('--timeout only applies to promote, provision and recover', command);
  }
  if ((values.node !== undefined || values.yes) && command !== 'recover')
    throw usageError(`--${values.node !== undefined ? 'node' : 'yes'} only applies to recover`, command);
  if (command === 'recover' && values.node === undefined)
    throw usageError('recover needs --node: the pod that lost its volume, e.g. --node restate-2', command);

  return {
    command,
    environment: values.environment,
    provider: values.provider,
    valuesDir: values['values-dir']!,
    dist: values.dist!,
    context: values.context,
    allowContextMismatch: values['allow-context-mismatch']!,
    timeoutSeconds: values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parseTimeout(values.timeout, command),
    forceConflicts: values['force-conflicts']!,
    ...(command === 'recover' ? { node: values.node, yes: values.yes } : {}),
  };
}

function parseTimeout(text: string, command: Command): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 86400) {
    throw usageError(`--timeout must be a whole number of seconds between 1 and 86400, got "${text}"`, command);
  }
  return Number(text);
}

function usageError(message: string, command?: Command): DeployError {
  return new DeployError(`${message}\n${command ? commandUsage(command) : DEPLOY_USAGE}`, ExitCode.INVALID_INPUT);
}
