import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { ValuesError, type ValuesProblem } from './errors';
import { secretKey } from './kubernetes-rules';
import { isData } from './merge';
import { displayPath, readRegularFile } from './read-file';
import type { StackValues } from './schema';
import { parseValuesYaml, YAML_LIMITS } from './yaml-data';

/** A SOPS-encrypted value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`. */
const ENCRYPTED = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$/;

export const DEFAULT_ACCESS_KEY_ID_KEY = 'AWS_ACCESS_KEY_ID';
export const DEFAULT_SECRET_ACCESS_KEY_KEY = 'AWS_SECRET_ACCESS_KEY';

/** The keys of the credentials Secret that hold the access key id and the secret key, defaults applied (here only). */
export function credentialKeys(credentials: { readonly accessKeyIdKey?: string; readonly secretAccessKeyKey?: string }): {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
} {
  return {
    accessKeyId: credentials.accessKeyIdKey ?? DEFAULT_ACCESS_KEY_ID_KEY,
    secretAccessKey: credentials.secretAccessKeyKey ?? DEFAULT_SECRET_ACCESS_KEY_KEY,
  };
}

/** Top-level keys of a Secret manifest; SOPS leaves any other key in plain text. */
const SECRET_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'type', 'immutable', 'data', 'stringData', 'sops']);

/**
 * Why a Secret manifest is not fully SOPS-encrypted, one reason per offending key; empty when it is: a `sops`
 * block with an encrypted MAC, `data`/`stringData` mappings (at least one) whose every value is ENC[…], and no
 * other key that could carry a plain-text value.
 */
export function sopsEncryptionProblems(secret: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!isData(secret.sops) || typeof secret.sops.mac !== 'string' || !ENCRYPTED.test(secret.sops.mac)) {
    problems.push('has no sops block with an encrypted mac: it was not written by sops --encrypt');
  }
  let values = 0;
  for (const field of ['data', 'stringData'] as const) {
    const map = secret[field];
    if (map === undefined) continue;
    if (!isData(map)) {
      problems.push(
        `${field} must be a mapping of keys to ENC[…] values, got ${typeof map === 'string' ? 'plain text' : JSON.stringify(map)}`,
      );
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      values++;
      if (typeof value !== 'string' || !ENCRYPTED.test(value)) problems.push(`${field}.${key} is not encrypted (not ENC[AES256_GCM,…])`);
    }
  }
  if (values === 0 && problems.length === 0) problems.push('has no encrypted data or stringData values');
  for (const key of Object.keys(secret).filter((k) => !SECRET_KEYS.has(k)))
    problems.push(`${key}: unexpected top-level key, which sops would leave in plain text`);
  return problems;
}

/** Whether every value of a Secret's `data`/`stringData` is SOPS ciphertext (and there is a `sops` block). */
export function isSopsEncryptedSecret(secret: Record<string, unknown>): boolean {
  return sopsEncryptionProblems(secret).length === 0;
}

/** The absolute path of a target's SOPS file, or undefined when credentials come from elsewhere. */
export function sopsFilePath(valuesDir: string, values: StackValues): string | undefined {
  const file = values.objectStorage?.credentials?.sopsFile;
  return file ? join(valuesDir, file) : undefined;
}

/**
 * Checks the SOPS-encrypted Secret manifest that credentials.source=sops points at, without decrypting it:
 * it must be one Secret in the cluster namespace, with the configured name and keys, whose values are all
 * encrypted while kind and metadata stay readable (so Argo CD/Flux and reviewers can see what it is).
 * It is passed into the target folder byte for byte: re-serializing would break SOPS' MAC.
 */
export function checkSopsManifest(valuesDir: string, values: StackValues): void {
  const credentials = values.objectStorage?.credentials;
  const path = sopsFilePath(valuesDir, values);
  if (!credentials || !path) return;
  const shown = displayPath(join(valuesDir, credentials.sopsFile!));
  const problems: ValuesProblem[] = [];
  const fail = (message: string): never => {
    throw new ValuesError([...problems, { file: shown, keyPath: '', message }]);
  };
  const add = (message: string) => problems.push({ file: shown, keyPath: '', message });
  const bytes = readRegularFile(path, shown, YAML_LIMITS.maxBytes);
  if (!Buffer.isBuffer(bytes)) throw new ValuesError([{ ...bytes, message: `${bytes.message} (objectStorage.credentials.sopsFile)` }]);
  if (!isInside(realpathSync(path), realpathSync(valuesDir)))
    fail(`resolves to ${realpathSync(path)}, outside the values folder (objectStorage.credentials.sopsFile must stay inside it)`);
  const parsed = parseValuesYaml(bytes, shown);
  if (parsed.problems.length > 0) throw new ValuesError(parsed.problems);
  const secret = parsed.data;
  if (!isData(secret) || secret.kind !== 'Secret' || secret.apiVersion !== 'v1') {
    fail('must be a single v1 Secret whose kind and metadata are left unencrypted (sops --encrypted-regex "^(data|stringData)$")');
  }
  const manifest = secret as Record<string, unknown> & { metadata?: { name?: unknown; namespace?: unknown } };
  for (const reason of sopsEncryptionProblems(manifest)) add(`is not fully SOPS-encrypted: ${reason}`);
  if (manifest.metadata?.name !== credentials.secretName) {
    add(
      `holds Secret ${JSON.stringify(manifest.metadata?.name)}, but objectStorage.credentials.secretName is ${JSON.stringify(credentials.secretName)}`,
    );
  }
  if (manifest.metadata?.namespace !== values.clusterName) {
    add(
      `must be in namespace "${values.clusterName}" (the cluster's, which the operator creates), not ${JSON.stringify(manifest.metadata?.namespace)}`,
    );
  }
  const keys = Object.keys({
    ...(isData(manifest.data) ? manifest.data : {}),
    ...(isData(manifest.stringData) ? manifest.stringData : {}),
  });
  for (const key of keys) {
    const check = secretKey.safeParse(key);
    if (!check.success) add(check.error.issues[0].message);
  }
  const { accessKeyId, secretAccessKey } = credentialKeys(credentials);
  for (const key of [accessKeyId, secretAccessKey]) {
    if (!keys.includes(key)) add(`has no key "${key}" (objectStorage.credentials); it has: ${keys.join(', ') || 'none'}`);
  }
  if (problems.length > 0) throw new ValuesError(problems);
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
