import type { StackValues } from '../values';

/** Where metadata and snapshots would live in object storage. */
export interface ObjectStorageUris {
  /** For `[metadata-client] type = "object-store"`, `path = …`. */
  readonly metadata: string;
  /** For `[worker.snapshots] destination = …`. */
  readonly snapshots: string;
  /** The S3 endpoint of an S3-compatible store, when one is set. */
  readonly endpoint?: string;
  readonly region?: string;
}

/**
 * The S3 URIs the object-storage values describe, or undefined when no bucket is set.
 *
 * They reach the Restate config only where a feature asks for them: `snapshots.enabled` (the snapshots URI)
 * and `metadata.store: object-store` (the metadata URI). By default neither is on: metadata stays in the
 * replicated (Raft) store because the target provider's object storage lacks the guarantees object-store
 * metadata needs (lib/values/guarantees.ts). See "Moving metadata to object storage" in docs/object-storage-and-credentials.md.
 */
export function objectStorageUris(values: StackValues): ObjectStorageUris | undefined {
  const storage = values.objectStorage;
  if (!storage?.bucket) return undefined;
  const prefix = [storage.bucket, storage.prefix ?? values.clusterName]
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part.length > 0)
    .join('/');
  return {
    metadata: `s3://${prefix}/metadata`,
    snapshots: `s3://${prefix}/snapshots`,
    ...(storage.s3Hostname ? { endpoint: `${storage.allowHttp ? 'http' : 'https'}://${storage.s3Hostname}` } : {}),
    ...(storage.region ? { region: storage.region } : {}),
  };
}
