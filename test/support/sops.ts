/**
 * A minimal SOPS encryptor for tests and for the worked example: it writes the SOPS v3 file format for a
 * Kubernetes Secret with one age recipient, encrypting only `data`/`stringData` (what
 * `sops --encrypt --age <recipient> --encrypted-regex '^(data|stringData)$'` does).
 *
 * Format, per value: AES-256-GCM under a random 32-byte data key, a 32-byte random IV, and the value's key path
 * as additional data (`stringData:AWS_ACCESS_KEY_ID:`), written as `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`.
 * The data key is age-encrypted to the recipient (ASCII armor). The MAC is SHA-512 over every value in
 * document order, upper-case hex, encrypted the same way with `lastmodified` as additional data.
 * Real users run the sops CLI; the tests check the output with an independent decryptor (sops-age).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Document, Scalar } from 'yaml';
import { nativeRequire } from './native-require';

interface AgeModule {
  generateIdentity(): Promise<string>;
  identityToRecipient(identity: string): Promise<string>;
  Encrypter: new () => { addRecipient(recipient: string): void; encrypt(data: Uint8Array): Promise<Uint8Array> };
  armor: { encode(file: Uint8Array): string };
}

function age(): AgeModule {
  return nativeRequire(require.resolve('age-encryption')) as AgeModule;
}

/** A throwaway age key pair, made fresh on every call; never store the identity. */
export async function throwawayAgeKey(): Promise<{ identity: string; recipient: string }> {
  const identity = await age().generateIdentity();
  return { identity, recipient: await age().identityToRecipient(identity) };
}

function encryptValue(key: Buffer, plaintext: string, additionalData: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:str]`;
}

export interface PlainSecret {
  readonly name: string;
  readonly namespace: string;
  readonly stringData: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The SOPS-encrypted YAML of a Secret, for one age recipient. */
export async function encryptSecret(
  secret: PlainSecret,
  recipient: string,
  lastModified = new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
): Promise<string> {
  const key = randomBytes(32);
  const metadata = {
    name: secret.name,
    namespace: secret.namespace,
    ...(secret.annotations ? { annotations: { ...secret.annotations } } : {}),
  };
  const plain = { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', stringData: { ...secret.stringData } };

  const mac = createHash('sha512');
  const walk = (value: unknown): void => {
    if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
    else mac.update(String(value), 'utf8');
  };
  walk(plain);

  const encrypter = new (age().Encrypter)();
  encrypter.addRecipient(recipient);
  const enc = age().armor.encode(await encrypter.encrypt(key));

  const stringData = Object.fromEntries(Object.entries(plain.stringData).map(([k, v]) => [k, encryptValue(key, v, `stringData:${k}:`)]));
  const doc = new Document({
    ...plain,
    stringData,
    sops: {
      age: [{ recipient, enc }],
      lastmodified: lastModified,
      mac: encryptValue(key, mac.digest('hex').toUpperCase(), lastModified),
      encrypted_regex: '^(data|stringData)$',
      version: '3.9.4',
    },
  });
  // sops writes the timestamp quoted, so that no YAML reader turns it into a date
  (doc.getIn(['sops', 'lastmodified'], true) as Scalar).type = Scalar.QUOTE_DOUBLE;
  return doc.toString({ indent: 4 });
}

/** Decrypts with sops-age, an implementation independent of the encryptor above. */
export async function decryptWithSopsAge(text: string, identity: string): Promise<Record<string, unknown>> {
  const { decryptSops } = require('sops-age') as {
    decryptSops(input: string, options: { secretKey: string; fileType: string }): Promise<Record<string, unknown>>;
  };
  return decryptSops(text, { secretKey: identity, fileType: 'yaml' });
}
