import { objectStorageUris } from '../../lib/stack/object-storage-uris';
import { loadTargetValues, type StackValues } from '../../lib/values';
import { FIXTURE_VALUES } from '../support/values-dir';

describe('object storage URIs', () => {
  const values = loadTargetValues(FIXTURE_VALUES, 'dev', 'vultr').values;

  test('are derived from bucket, cluster name and the S3 host', () => {
    expect(objectStorageUris(values)).toEqual({
      metadata: 's3://restate-stack/restate-dev/metadata',
      snapshots: 's3://restate-stack/restate-dev/snapshots',
      endpoint: 'https://ewr1.vultrobjects.com',
      region: 'ewr1',
    });
  });

  test('use an explicit prefix instead of the cluster name, without doubled slashes', () => {
    const withPrefix: StackValues = { ...values, objectStorage: { ...values.objectStorage, prefix: '/restate/dev/' } };
    expect(objectStorageUris(withPrefix)?.metadata).toBe('s3://restate-stack/restate/dev/metadata');
  });

  test('are absent without a bucket', () => {
    expect(objectStorageUris({ ...values, objectStorage: { region: 'ewr1' } })).toBeUndefined();
  });
});
