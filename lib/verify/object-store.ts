import { VerifyError } from './errors';

/** Where the effective config sends partition snapshots: `[worker.snapshots] destination = "s3://bucket/prefix"`. */
export interface SnapshotDestination {
  /** The destination as written. */
  readonly url: string;
  readonly bucket: string;
  /** The key prefix inside the bucket, without leading or trailing slashes; '' for the bucket's root. */
  readonly prefix: string;
}

/** A local S3 API that stands in for the provider's object store inside the sandbox. */
export interface S3Endpoint {
  /** `http://127.0.0.200:9000`: loopback only. */
  readonly url: string;
  /** The stand-in's access key pair (dummy values it accepts; not a secret). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

function table(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** S3 bucket naming rules (the subset every provider and the stand-in share). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Reads `s3://bucket/prefix`; anything else (another scheme, a bad bucket name) is a clear error. */
export function parseS3Url(url: string): SnapshotDestination {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!match) throw new VerifyError(`snapshot destination ${JSON.stringify(url)} is not an s3://bucket/prefix URL`);
  const bucket = match[1];
  if (!BUCKET.test(bucket))
    throw new VerifyError(`snapshot destination ${JSON.stringify(url)}: ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  return { url, bucket, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** The snapshot destination of an effective config, when it has one. */
export function snapshotDestination(effective: Readonly<Record<string, unknown>>): SnapshotDestination | undefined {
  const destination = table(table(effective.worker).snapshots).destination;
  return typeof destination === 'string' ? parseS3Url(destination) : undefined;
}

/** The effective config's use of object-store metadata, which the live run does not stand in for. */
export function objectStoreMetadataUse(effective: Readonly<Record<string, unknown>>): string | undefined {
  const client = table(effective['metadata-client']);
  return client.type === 'object-store' ? `metadata-client type object-store at ${String(client.path)}` : undefined;
}

/**
 * The variables that point every node's snapshot repository at the stand-in instead of the provider, using
 * Restate's env convention (they take precedence over config.toml, which stays as shipped). The region stays
 * as written; the keys replace whatever the pod would get from its Secret.
 */
export function snapshotStandInEnv(endpoint: S3Endpoint): Record<string, string> {
  return {
    RESTATE_WORKER__SNAPSHOTS__AWS_ENDPOINT_URL: endpoint.url,
    RESTATE_WORKER__SNAPSHOTS__AWS_ALLOW_HTTP: 'true',
    RESTATE_WORKER__SNAPSHOTS__AWS_ACCESS_KEY_ID: endpoint.accessKeyId,
    RESTATE_WORKER__SNAPSHOTS__AWS_SECRET_ACCESS_KEY: endpoint.secretAccessKey,
  };
}
