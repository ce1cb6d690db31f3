/**
 * The kubectl command lines of the deploy steps, as argv arrays (without the program name). Pure: the runner
 * executes them, tests compare them element by element.
 *
 * Every command names its kube context explicitly (`--context`), so a `kubectl config use-context` in another
 * terminal half-way through a promote cannot redirect the rest of it to another cluster.
 */

import { shellQuote } from './shell';

/** The field manager of every server-side apply and diff: one owner for everything this stack applies. */
export const FIELD_MANAGER = 'restate-stack';

export interface ApplyOptions {
  /**
   * Take over fields that another field manager owns (`--force-conflicts`).
   * @default false - a conflict stops the apply and names the other manager
   */
  readonly forceConflicts?: boolean;
}

/** `kubectl config current-context`: the context kubectl would use without `--context`. */
export function currentContextArgs(): string[] {
  return ['config', 'current-context'];
}

/**
 * `kubectl config get-contexts NAME -o name`: reads the kubeconfig only (no cluster), prints NAME and exits 0 when
 * the context exists, exits 1 with `error: context NAME not found` when it does not.
 */
export function contextExistsArgs(context: string): string[] {
  return ['config', 'get-contexts', context, '-o', 'name'];
}

/** Server-side apply of one file with our field manager. */
export function applyArgs(context: string, file: string, options: ApplyOptions = {}): string[] {
  return [
    '--context',
    context,
    'apply',
    '--server-side',
    `--field-manager=${FIELD_MANAGER}`,
    ...(options.forceConflicts ? ['--force-conflicts'] : []),
    '-f',
    file,
  ];
}

/**
 * Server-side apply of manifests read from standard input (`-f -`): how a decrypted Secret reaches the API
 * server without ever being written to a file.
 */
export function applyStdinArgs(context: string, options: ApplyOptions = {}): string[] {
  return applyArgs(context, '-', options);
}

/** Server-side diff of one file, exactly as `applyArgs` would apply it. Exit 1 means "differences". */
export function diffArgs(context: string, file: string, options: ApplyOptions = {}): string[] {
  return [
    '--context',
    context,
    'diff',
    '--server-side',
    `--field-manager=${FIELD_MANAGER}`,
    ...(options.forceConflicts ? ['--force-conflicts'] : []),
    '-f',
    file,
  ];
}

export interface WaitTarget {
  /** Namespace of a namespaced object. @default - cluster-scoped */
  readonly namespace?: string;
  /** `kind/name`, e.g. `crd/restateclusters.restate.dev`. */
  readonly object: string;
  /** The `--for` value: `create`, `condition=Established`, `jsonpath={.status.phase}=Running`, … */
  readonly condition: string;
}

/** `kubectl wait` for one object, bounded by `timeoutSeconds`. */
export function waitArgs(context: string, target: WaitTarget, timeoutSeconds: number): string[] {
  return [
    '--context',
    context,
    ...namespaceArgs(target.namespace),
    'wait',
    `--for=${target.condition}`,
    target.object,
    `--timeout=${timeoutSeconds}s`,
  ];
}

/**
 * `kubectl exec` in one pod. With `stdin`, kubectl passes its standard input to the command (`-i`), which
 * is how the provisioning script reaches the pod without being baked into the image.
 */
export function execArgs(
  context: string,
  namespace: string,
  pod: string,
  command: readonly string[],
  options: { stdin?: boolean } = {},
): string[] {
  return ['--context', context, '-n', namespace, 'exec', ...(options.stdin ? ['-i'] : []), pod, '--', ...command];
}

/** Deletes one object, waiting until it is gone; succeeds when it is already gone. */
export function deleteArgs(context: string, namespace: string, object: string, timeoutSeconds: number): string[] {
  return ['--context', context, '-n', namespace, 'delete', object, '--ignore-not-found', `--timeout=${timeoutSeconds}s`];
}

/** One line per status condition of an object: `TYPE<TAB>STATUS<TAB>REASON<TAB>MESSAGE`. */
export const CONDITIONS_JSONPATH =
  'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.reason}{"\\t"}{.message}{"\\n"}{end}';

/** The status conditions of one object, one per line (see `CONDITIONS_JSONPATH`). */
export function conditionsArgs(context: string, object: string, namespace?: string): string[] {
  return ['--context', context, ...namespaceArgs(namespace), 'get', object, '-o', CONDITIONS_JSONPATH];
}

/** The pods of a namespace, with node and IP. */
export function podsArgs(context: string, namespace: string): string[] {
  return ['--context', context, '-n', namespace, 'get', 'pods', '-o', 'wide'];
}

/** The last lines of a Job's pod logs, for a failure message. */
export function jobLogsArgs(context: string, namespace: string, job: string, tailLines: number): string[] {
  return ['--context', context, '-n', namespace, 'logs', `job/${job}`, `--tail=${tailLines}`];
}

/** The pods of one Job (the Job controller's label), one `NAME<TAB>PHASE` line each. */
export function jobPodsArgs(context: string, namespace: string, job: string): string[] {
  return [
    '--context',
    context,
    '-n',
    namespace,
    'get',
    'pods',
    '-l',
    `batch.kubernetes.io/job-name=${job}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
  ];
}

/**
 * A go-template that prints the names of a Secret's non-empty `data` keys, one per line, and never a value:
 * `-o jsonpath` cannot list a map's keys without printing the values with them.
 */
export const SECRET_KEYS_TEMPLATE = 'go-template={{range $key, $value := .data}}{{if $value}}{{$key}}{{"\\n"}}{{end}}{{end}}';

/** The names of the non-empty keys of one Secret (see `SECRET_KEYS_TEMPLATE`); NotFound when it is missing. */
export function secretKeysArgs(context: string, namespace: string, name: string): string[] {
  return ['--context', context, '-n', namespace, 'get', 'secret', name, '-o', SECRET_KEYS_TEMPLATE];
}

/**
 * `kubectl create secret generic` for a Secret holding `keys`, each value read from a shell variable of the
 * same name in upper case (`"$AWS_ACCESS_KEY_ID"`), so that no value lands in the shell history. For messages.
 */
export function createSecretArgs(context: string, namespace: string, name: string, keys: readonly string[]): string[] {
  return [
    '--context',
    context,
    '-n',
    namespace,
    'create',
    'secret',
    'generic',
    name,
    ...keys.map((key) => `--from-literal=${shellQuote(key)}="$${shellVariable(key)}"`),
  ];
}

/** A shell variable name for a Secret key: `access-key.id` becomes `ACCESS_KEY_ID`. */
export function shellVariable(key: string): string {
  const name = key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

function namespaceArgs(namespace: string | undefined): string[] {
  return namespace ? ['-n', namespace] : [];
}
