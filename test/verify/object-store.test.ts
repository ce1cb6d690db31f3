import { VerifyError } from '../../lib/verify/errors';
import { objectStoreMetadataUse, parseS3Url, snapshotDestination, snapshotStandInEnv } from '../../lib/verify/object-store';

describe('what verify reads about object storage from the effective config', () => {
  test('takes the bucket and the key prefix from the snapshot destination', () => {
    // GIVEN an effective config with [worker.snapshots] destination, as dev/kind ships it
    const effective = { worker: { snapshots: { destination: 's3://restate/restate-dev/snapshots' } } };

    // WHEN its snapshot destination is read
    const destination = snapshotDestination(effective);

    // THEN the bucket and the prefix are split as S3 sees them
    expect(destination).toEqual({ url: 's3://restate/restate-dev/snapshots', bucket: 'restate', prefix: 'restate-dev/snapshots' });
  });

  test('has no snapshot destination when the config has none, and a bucket-root prefix for s3://bucket/', () => {
    // GIVEN configs without snapshots and with a destination at the bucket root
    // WHEN they are read
    // THEN there is no destination, and the root destination has an empty prefix
    expect(snapshotDestination({ worker: {} })).toBeUndefined();
    expect(snapshotDestination({ worker: { snapshots: { destination: 's3://my-bucket/' } } })?.prefix).toBe('');
  });

  test('refuses a destination that is not an s3:// URL or names an invalid bucket, quoting it', () => {
    // GIVEN destinations with another scheme and with an upper-case bucket
    // WHEN they are parsed
    // THEN each is a VerifyError that quotes the destination
    expect(() => parseS3Url('gs://bucket/prefix')).toThrow(VerifyError);
    expect(() => parseS3Url('gs://bucket/prefix')).toThrow('"gs://bucket/prefix" is not an s3://bucket/prefix URL');
    expect(() => parseS3Url('s3://My_Bucket/x')).toThrow('"My_Bucket" is not a valid S3 bucket name');
  });

  test('notices object-store metadata, which the live run does not stand in for', () => {
    // GIVEN a metadata client of type object-store and a replicated one
    const objectStore = { 'metadata-client': { type: 'object-store', path: 's3://restate/restate-dev/metadata' } };
    const replicated = { 'metadata-client': { type: 'replicated', addresses: ['http://restate-cluster:5122/'] } };

    // WHEN their metadata use is read
    // THEN only the object-store one is named, with its path
    expect(objectStoreMetadataUse(objectStore)).toBe('metadata-client type object-store at s3://restate/restate-dev/metadata');
    expect(objectStoreMetadataUse(replicated)).toBeUndefined();
  });

  test('points the nodes at the stand-in only through Restate env overrides, keeping the region as written', () => {
    // GIVEN the stand-in's endpoint
    const env = snapshotStandInEnv({ url: 'http://127.0.0.200:9000', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

    // WHEN the node variables are built
    // THEN they set endpoint, plain HTTP and the dummy keys under worker.snapshots, and nothing about the region
    expect(env).toEqual({
      RESTATE_WORKER__SNAPSHOTS__AWS_ENDPOINT_URL: 'http://127.0.0.200:9000',
      RESTATE_WORKER__SNAPSHOTS__AWS_ALLOW_HTTP: 'true',
      RESTATE_WORKER__SNAPSHOTS__AWS_ACCESS_KEY_ID: 'S3RVER',
      RESTATE_WORKER__SNAPSHOTS__AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
  });
});
