import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ValuesError, type ValuesProblem } from './errors';
import { isData } from './merge';
import type { StackValues } from './schema';

/** A SOPS-encrypted value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`. */
const ENCRYPTED = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$/;

export const DEFAULT_ACCESS_KEY_ID_KEY = 'AWS_ACCESS_KEY_ID';
export const DEFAULT_SECRET_ACCESS_KEY_KEY = 'AWS_SECRET_ACCESS_KEY';

/** Whether every value of a Secret's `data`/`stringData` is SOPS ciphertext (and there is a `sops` block). */
export function isSopsEncryptedSecret(secret: Record<string, unknown>): boolean {
  const values = [secret.data, secret.stringData].filter(isData).flatMap((map) => Object.values(map));
  return isData(secret.sops) && values.every((value) => typeof value === 'string' && ENCRYPTED.test(value));
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
  const shown = join(valuesDir, credentials.sopsFile!);
  const fail = (message: string): never => {
    throw new ValuesError([{ file: shown, keyPath: '', message } satisfies ValuesProblem]);
  };
  if (!existsSync(path)) fail('does not exist (objectStorage.credentials.sopsFile)');
  const doc = parseDocument(readFileSync(path, 'utf8'));
  if (doc.errors.length > 0) fail(`is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const secret: unknown = doc.toJS();
  if (!isData(secret) || secret.kind !== 'Secret' || secret.apiVersion !== 'v1') {
    fail('must be a single v1 Secret whose kind and metadata are left unencrypted (sops --encrypted-regex "^(data|stringData)$")');
  }
  const manifest = secret as Record<string, unknown> & { metadata?: { name?: unknown; namespace?: unknown } };
  if (!isSopsEncryptedSecret(manifest)) fail('is not SOPS-encrypted: every data/stringData value must be ENC[…] and a sops block must be present');
  if (manifest.metadata?.name !== credentials.secretName) {
    fail(`holds Secret ${JSON.stringify(manifest.metadata?.name)}, but objectStorage.credentials.secretName is ${JSON.stringify(credentials.secretName)}`);
  }
  if (manifest.metadata?.namespace !== values.clusterName) {
    fail(`must be in namespace "${values.clusterName}" (the cluster's, which the operator creates), not ${JSON.stringify(manifest.metadata?.namespace)}`);
  }
  const keys = Object.keys({ ...(isData(manifest.data) ? manifest.data : {}), ...(isData(manifest.stringData) ? manifest.stringData : {}) });
  for (const key of [credentials.accessKeyIdKey ?? DEFAULT_ACCESS_KEY_ID_KEY, credentials.secretAccessKeyKey ?? DEFAULT_SECRET_ACCESS_KEY_KEY]) {
    if (!keys.includes(key)) fail(`has no key "${key}" (objectStorage.credentials); it has: ${keys.join(', ') || 'none'}`);
  }
}
