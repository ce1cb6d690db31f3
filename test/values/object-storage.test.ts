import { join } from 'node:path';
import { loadTargetValues } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const errorsOf = (environment?: string, provider?: string) => dir.errorsOf(environment, provider);

const DEV = 'environments/dev.yaml';

describe('object storage guarantees', () => {
  test('snapshots on a provider whose store lacks guarantees are refused, naming each guarantee and why', () => {
    // GIVEN vultr, which declares no read-after-write and no conditional writes WHEN dev turns snapshots on
    dir.set(DEV, ['snapshots', 'enabled'], true);
    // THEN
    const errors = errorsOf('dev', 'vultr');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(
      `${join(dir.path, DEV)}: snapshots.enabled: snapshots need the object store guarantee "readAfterWrite", which objectStorage.guarantees does not declare: ` +
        'a node must see an object as soon as it was written, or it acts on stale metadata or misses the newest snapshot. ' +
        'Use a store that has it, or accept the risk with objectStorage.acceptMissingGuarantees: [readAfterWrite] (docs/object-storage-and-credentials.md: "Object storage guarantees")',
    );
    expect(errors[1]).toContain('snapshots need the object store guarantee "conditionalWrites"');
  });

  test('an explicit acceptance of the missing guarantees lets snapshots through', () => {
    dir
      .set(DEV, ['snapshots', 'enabled'], true)
      .set(DEV, ['objectStorage', 'acceptMissingGuarantees'], ['readAfterWrite', 'conditionalWrites']);
    expect(loadTargetValues(dir.path, 'dev', 'vultr').values.snapshots.enabled).toBe(true);
  });

  test('object-store metadata needs all three guarantees', () => {
    dir.set(DEV, ['metadata', 'store'], 'object-store');
    expect(errorsOf('dev', 'vultr').map((e) => /"(\w+)"/.exec(e)?.[1])).toEqual([
      'consistentListing',
      'readAfterWrite',
      'conditionalWrites',
    ]);
  });

  test('a store that declares nothing is assumed to guarantee nothing', () => {
    dir.set('providers/vultr.yaml', ['objectStorage', 'guarantees'], null).set(DEV, ['snapshots', 'enabled'], true);
    expect(errorsOf('dev', 'vultr')).toHaveLength(2);
  });

  test('snapshots without a bucket are refused', () => {
    dir.set('providers/aws.yaml', ['objectStorage', 'bucket'], null);
    expect(errorsOf('dev', 'aws')).toEqual([
      `${join(dir.path, 'providers/aws.yaml')}: snapshots.enabled: snapshots need objectStorage.bucket (and usually s3Hostname, region and credentials)`,
    ]);
  });

  test('an unknown guarantee name is refused', () => {
    dir.set(DEV, ['objectStorage', 'acceptMissingGuarantees'], ['eventualConsistency']);
    expect(errorsOf('dev', 'vultr')[0]).toContain(
      'objectStorage.acceptMissingGuarantees.0: must list guarantees among consistentListing, readAfterWrite, conditionalWrites',
    );
  });
});

describe('object-store metadata', () => {
  test('allows fewer than 3 replicas, since no Raft quorum is needed', () => {
    dir.set(DEV, ['metadata', 'store'], 'object-store').set(DEV, ['replicas'], 1).set(DEV, ['restate', 'defaultReplication'], 1);
    expect(loadTargetValues(dir.path, 'dev', 'aws').values.replicas).toBe(1);
  });

  test('warns that automated provisioning is ignored: the cluster provisions itself', () => {
    dir.set(DEV, ['metadata', 'store'], 'object-store').set(DEV, ['provisioning', 'automated'], true);
    expect(loadTargetValues(dir.path, 'dev', 'aws').warnings).toContainEqual({
      id: 'provisioning-ignored',
      target: 'dev/aws',
      text: 'provisioning.automated is ignored (object-store); remove it',
    });
  });
});

describe('credentials', () => {
  test('existing-secret needs the Secret name', () => {
    dir.set(DEV, ['objectStorage', 'credentials'], { source: 'existing-secret' });
    expect(errorsOf('dev', 'vultr')).toEqual([
      `${join(dir.path, DEV)}: objectStorage.credentials.secretName: is required with source existing-secret: the Secret in namespace "restate-dev" holding the keys`,
    ]);
  });

  test('sops needs the encrypted file', () => {
    dir.set(DEV, ['objectStorage', 'credentials'], { source: 'sops', secretName: 's3' });
    expect(errorsOf('dev', 'vultr')).toEqual([
      `${join(dir.path, DEV)}: objectStorage.credentials.sopsFile: is required with source sops: the encrypted Secret manifest, relative to the values folder`,
    ]);
  });

  test('workload identity needs annotations and takes no static keys', () => {
    dir.set(DEV, ['objectStorage', 'credentials'], { source: 'workload-identity', secretName: 's3' });
    expect(errorsOf('dev', 'vultr')).toEqual([
      `${join(dir.path, DEV)}: objectStorage.credentials.serviceAccountAnnotations: is required with source workload-identity, e.g. {eks.amazonaws.com/role-arn: arn:aws:iam::…:role/restate}`,
      `${join(dir.path, DEV)}: objectStorage.credentials.source: workload-identity uses no static keys: remove secretName, accessKeyIdKey and secretAccessKeyKey`,
    ]);
  });

  test('a plaintext key in values is an unknown key, never accepted', () => {
    dir.set(DEV, ['objectStorage', 'credentials'], { source: 'existing-secret', secretName: 's3', secretAccessKey: 'hunter2' });
    expect(errorsOf('dev', 'vultr')).toEqual([
      `${join(dir.path, DEV)}: objectStorage.credentials.secretAccessKey: unknown key (did you mean "objectStorage.credentials.secretAccessKeyKey"?)`,
    ]);
  });
});

describe('the SOPS file of credentials.source sops', () => {
  const KIND = 'providers/kind.yaml';
  const SOPS = 'secrets/kind-minio.sops.yaml';

  test('the shipped example passes', () => {
    expect(loadTargetValues(dir.path, 'dev', 'kind').values.objectStorage?.credentials?.source).toBe('sops');
  });

  test('must exist', () => {
    dir.set(KIND, ['objectStorage', 'credentials', 'sopsFile'], 'secrets/missing.sops.yaml');
    expect(errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, 'secrets/missing.sops.yaml')}: does not exist (objectStorage.credentials.sopsFile)`,
    ]);
  });

  test('a plaintext Secret is refused', () => {
    dir.write(
      SOPS,
      'apiVersion: v1\nkind: Secret\nmetadata: {name: restate-object-storage, namespace: restate-dev}\nstringData: {AWS_ACCESS_KEY_ID: a, AWS_SECRET_ACCESS_KEY: b}\n',
    );
    expect(errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: is not fully SOPS-encrypted: has no sops block with an encrypted mac: it was not written by sops --encrypt`,
      `${join(dir.path, SOPS)}: is not fully SOPS-encrypted: stringData.AWS_ACCESS_KEY_ID is not encrypted (not ENC[AES256_GCM,…])`,
      `${join(dir.path, SOPS)}: is not fully SOPS-encrypted: stringData.AWS_SECRET_ACCESS_KEY is not encrypted (not ENC[AES256_GCM,…])`,
    ]);
  });

  test('must be in the cluster namespace of the target', () => {
    expect(errorsOf('staging', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: must be in namespace "restate-staging" (the cluster's, which the operator creates), not "restate-dev"`,
    ]);
  });

  test('must hold the configured keys', () => {
    dir.set(KIND, ['objectStorage', 'credentials', 'accessKeyIdKey'], 'accesskey');
    expect(errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: has no key "accesskey" (objectStorage.credentials); it has: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY`,
    ]);
  });

  test('must name the configured Secret', () => {
    dir.set(KIND, ['objectStorage', 'credentials', 'secretName'], 'other');
    expect(errorsOf('dev', 'kind')).toEqual([
      `${join(dir.path, SOPS)}: holds Secret "restate-object-storage", but objectStorage.credentials.secretName is "other"`,
    ]);
  });
});

test('a required key missing inside a mapping an overlay set is blamed on that overlay', () => {
  dir.set(DEV, ['objectStorage', 'credentials'], { secretName: 's3' });
  expect(errorsOf('dev', 'vultr')).toEqual([
    `${join(dir.path, DEV)}: objectStorage.credentials.source: is required (set it in base.yaml or an overlay)`,
  ]);
});
