import { parseDocument } from 'yaml';
import { credentialEnv } from '../stack/cluster-credentials';
import { credentialKeys, type StackValues } from '../values';
import { DeployError } from './errors';
import { type ApplyOptions, applyStdinArgs, createSecretArgs, FIELD_MANAGER, secretKeysArgs, shellVariable } from './kubectl';
import { indent, type Session } from './session';
import { shellLine, shellQuote } from './shell';
import type { Sops } from './sops';

/** The Secret that holds the object storage keys, as the values describe it. */
export interface CredentialsSecret {
  /** Where the Secret comes from: made by the user (`existing-secret`) or decrypted by promote (`sops`). */
  readonly source: 'existing-secret' | 'sops';
  readonly name: string;
  /** The cluster namespace, which the operator creates. */
  readonly namespace: string;
  /** The access key id key, then the secret access key key. */
  readonly keys: readonly [string, string];
  /**
   * The RestateCluster's env reads the keys (snapshots or object-store metadata is on): without the Secret, or
   * without one of its keys, the pods cannot start (CreateContainerConfigError).
   */
  readonly requiredByPods: boolean;
}

/** The credentials Secret of a target; undefined without credentials or with workload identity. Pure. */
export function credentialsSecret(values: StackValues): CredentialsSecret | undefined {
  const credentials = values.objectStorage?.credentials;
  if (!credentials || credentials.source === 'workload-identity' || !credentials.secretName) return undefined;
  const { accessKeyId, secretAccessKey } = credentialKeys(credentials);
  return {
    source: credentials.source,
    name: credentials.secretName,
    namespace: values.clusterName,
    keys: [accessKeyId, secretAccessKey],
    requiredByPods: credentialEnv(values).length > 0,
  };
}

/** What the cluster holds of the credentials Secret. */
export type SecretState =
  | { readonly state: 'present'; readonly keys: readonly string[]; readonly missingKeys: readonly string[] }
  | { readonly state: 'missing' }
  | { readonly state: 'unreadable'; readonly message: string };

/** Reads the names (never the values) of the Secret's non-empty keys. */
export function readSecret(session: Session, secret: CredentialsSecret): SecretState {
  const result = session.run(secretKeysArgs(session.context, secret.namespace, secret.name));
  if (result.code !== 0) {
    const said = (result.stderr || result.stdout).trim();
    return /\(NotFound\)|not found/.test(said) ? { state: 'missing' } : { state: 'unreadable', message: said };
  }
  const keys = result.stdout.split('\n').filter((key) => key !== '');
  return { state: 'present', keys, missingKeys: secret.keys.filter((key) => !keys.includes(key)) };
}

/** "Secret NAME in namespace NS". */
export function secretLabel(secret: CredentialsSecret): string {
  return `Secret ${secret.name} in namespace ${secret.namespace}`;
}

/** What a missing or incomplete Secret does to the cluster. */
export function consequence(secret: CredentialsSecret): string {
  return secret.requiredByPods
    ? 'the Restate pods cannot start (CreateContainerConfigError)'
    : 'nothing reads it yet (neither snapshots nor object-store metadata is on), but the values say it holds the object storage keys';
}

/** How to create the Secret by hand, as a shell command without values. */
export function createSecretHint(context: string, secret: CredentialsSecret): string {
  // The --from-literal arguments are already shell text (they expand "$VARIABLE"); everything else is quoted.
  const command = createSecretArgs(context, secret.namespace, secret.name, secret.keys)
    .map((arg) => (arg.startsWith('--from-literal=') ? arg : shellQuote(arg)))
    .join(' ');
  const variables = secret.keys.map((key) => `$${shellVariable(key)}`).join(' and ');
  return `\`kubectl ${command}\` (with the values in ${variables}, which keeps them out of the shell history)`;
}

/**
 * Checks that the Secret the user made exists with both keys. The namespace only exists once the operator has
 * reconciled the RestateCluster, so on a first promote the Secret cannot have been created earlier: the message
 * says to create it now and run promote again (every step is idempotent).
 */
export function checkExistingSecret(session: Session, secret: CredentialsSecret): void {
  const found = readSecret(session, secret);
  const label = secretLabel(secret);
  if (found.state === 'unreadable') {
    throw new DeployError(`could not read ${label} (objectStorage.credentials.source: existing-secret):\n${indent(found.message)}`);
  }
  const problem =
    found.state === 'missing'
      ? `${label} is missing`
      : found.missingKeys.length > 0
        ? `${label} lacks the key(s) ${found.missingKeys.join(', ')} (it has: ${found.keys.join(', ') || 'no non-empty keys'})`
        : undefined;
  if (problem === undefined) {
    session.report.info(`    ${label} has the keys ${secret.keys.join(', ')}`);
    return;
  }
  const fix =
    found.state === 'missing'
      ? `Create it now that the operator has created the namespace: ${createSecretHint(session.context, secret)}; then run promote again.`
      : `Add the key(s) (\`kubectl ${shellLine(['--context', session.context, '-n', secret.namespace, 'edit', 'secret', secret.name])}\`), or set ` +
        'objectStorage.credentials.accessKeyIdKey / secretAccessKeyKey to the keys it has; then run promote again.';
  if (!secret.requiredByPods) {
    session.report.warn(`warning: ${problem}: ${consequence(secret)}. ${fix}`);
    return;
  }
  throw new DeployError(`${problem}: ${consequence(secret)} (objectStorage.credentials.source: existing-secret).\n  ${fix}`);
}

/**
 * Decrypts the target's SOPS-encrypted Secret with the sops CLI and pipes the plaintext into a server-side
 * apply: it exists only in memory and in the pipe, never in a file or in the output. kubectl's messages are
 * shown with every secret value masked, in case one is ever quoted back.
 */
export function applySopsSecret(session: Session, sops: Sops, file: string, secret: CredentialsSecret, options: ApplyOptions = {}): void {
  const plaintext = sops.decrypt(file);
  const values = secretValues(plaintext, secret);
  if (values === undefined) {
    throw new DeployError(
      `sops decrypted ${file}, but the result is not a v1 Secret named ${secret.name} in namespace ${secret.namespace}; nothing was applied`,
    );
  }
  const result = session.run(applyStdinArgs(session.context, options), { stdin: plaintext });
  const said = redact(`${result.stdout}${result.stderr}`.trim(), values);
  if (result.code !== 0) {
    throw new DeployError(
      `server-side apply of the decrypted ${file} failed (kubectl exit ${result.code}):\n${indent(said || '(no output)')}`,
    );
  }
  if (said) session.report.info(indent(said));
}

/**
 * The values of a decrypted Secret manifest (`data` as written and decoded, `stringData`), for masking; undefined
 * when the manifest is not the expected Secret. Checked although the encrypted file was checked at build: what
 * sops prints is what gets applied, and anything else would be applied before anyone noticed.
 */
function secretValues(plaintext: Buffer, expected: CredentialsSecret): string[] | undefined {
  const doc = parseDocument(plaintext.toString('utf8'));
  if (doc.errors.length > 0) return undefined;
  type Manifest = {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
    data?: unknown;
    stringData?: unknown;
  };
  const secret = doc.toJS() as Manifest | null;
  if (!secret || secret.apiVersion !== 'v1' || secret.kind !== 'Secret') return undefined;
  if (secret.metadata?.name !== expected.name || secret.metadata?.namespace !== expected.namespace) return undefined;
  const strings = (map: unknown): string[] =>
    map && typeof map === 'object' ? Object.values(map).filter((v): v is string => typeof v === 'string') : [];
  const data = strings(secret.data);
  const decoded = data
    .filter((value) => Buffer.from(value, 'base64').toString('base64') === value)
    .map((value) => Buffer.from(value, 'base64').toString('utf8'));
  return [...data, ...decoded, ...strings(secret.stringData)].filter((value) => value.length > 0);
}

/** Replaces every occurrence of each value, longest first, with `<redacted>`. */
export function redact(text: string, values: readonly string[]): string {
  return [...values].sort((a, b) => b.length - a.length).reduce((out, value) => out.split(value).join('<redacted>'), text);
}

/** How to apply a SOPS-encrypted Secret by hand, as promote does. */
export function sopsApplyHint(context: string, file: string): string {
  return `\`sops --decrypt ${shellQuote(file)} | kubectl ${shellLine(['--context', context, 'apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'])}\``;
}
