import * as TOML from '@iarna/toml';
import { objectStorageUris, type ObjectStorageUris } from './object-storage-uris';
import { BUDGET_CONFIG, type BudgetKey, memoryBudgets, renderReplication, type StackValues } from '../values';
import { FABRIC_PORT, HEADLESS_SERVICE } from '../target-folder/operator-names';

/**
 * Every role on every pod. Since 1.4 this is also the server's default, but we write it out: from 1.7 the
 * HTTP ingress only runs when `http-ingress` is listed, and an explicit list survives default changes.
 */
export const ROLES = ['worker', 'admin', 'log-server', 'metadata-server', 'http-ingress'] as const;

/**
 * The headless service of the cluster. It lists pods before they are Ready, which matters because pods only
 * turn Ready after provisioning, and provisioning needs the metadata servers to find each other first.
 * (The ClusterIP service `restate` only routes to Ready pods.)
 */
export const METADATA_ADDRESS = `http://${HEADLESS_SERVICE}:${FABRIC_PORT}/`;

/** Connection keys Restate takes wherever it talks to S3 (`[worker.snapshots]`, `[metadata-client]`). */
export interface S3ConnectionConfig {
  readonly 'aws-region'?: string;
  readonly 'aws-endpoint-url'?: string;
  readonly 'aws-allow-http'?: boolean;
}

export type MetadataClientConfig =
  | { readonly addresses: readonly string[] }
  | ({ readonly type: 'object-store'; readonly path: string } & S3ConnectionConfig);

/** The Restate server configuration we generate, with the server's own (kebab-case) key names. */
export interface RestateServerConfig {
  readonly roles: readonly string[];
  /**
   * False with the replicated metadata server, where auto-provisioning can split the cluster's brain;
   * true with object-store metadata, where the store itself arbitrates (no manual provisioning).
   */
  readonly 'auto-provision': boolean;
  readonly 'default-num-partitions': number;
  readonly 'default-replication': number | string;
  readonly 'log-filter'?: string;
  readonly 'tracing-endpoint'?: string;
  readonly 'tracing-filter'?: string;
  readonly 'metadata-client': MetadataClientConfig;
  readonly bifrost: { readonly 'default-provider': 'replicated'; readonly 'record-cache-memory-size'?: number };
  readonly worker?: {
    readonly snapshots?: { readonly destination: string; readonly 'snapshot-interval-num-records': number } & S3ConnectionConfig;
    readonly invoker?: { readonly 'memory-limit': number };
  };
  /** Memory budgets in bytes (docs/memory.md): derived from the pod's memory, or as `restate.memory` sets them. */
  readonly 'rocksdb-total-memory-size'?: number;
  readonly admin?: { readonly 'query-engine': { readonly 'memory-size': number } };
}

/** Puts `value` at `path` of a plain object tree, creating tables on the way. */
function put(tree: Record<string, any>, path: readonly string[], value: number): void {
  const last = path.length - 1;
  let table = tree;
  for (const key of path.slice(0, last)) table = table[key] ??= {};
  table[path[last]] = value;
}

/** The memory budgets as config entries (`rocksdb-total-memory-size`, `[admin.query-engine] memory-size`, …). */
export function memoryConfig(values: StackValues): Record<string, any> {
  const tree: Record<string, any> = {};
  const { budgets } = memoryBudgets(values);
  for (const [key, budget] of Object.entries(budgets) as Array<[BudgetKey, { bytes: number }]>)
    put(tree, BUDGET_CONFIG[key].path, budget.bytes);
  return tree;
}

function s3Connection(uris: ObjectStorageUris): S3ConnectionConfig {
  return {
    ...(uris.region ? { 'aws-region': uris.region } : {}),
    ...(uris.endpoint ? { 'aws-endpoint-url': uris.endpoint } : {}),
    ...(uris.endpoint?.startsWith('http://') ? { 'aws-allow-http': true } : {}),
  };
}

/**
 * The server config of a cluster.
 *
 * With the default replicated metadata store there is deliberately no `[metadata-server] type`: that key
 * was removed in Restate 1.4 and is silently ignored since (the metadata server is always Raft). Object-store
 * metadata is a *metadata-client* type instead, and then no pod runs the metadata-server role.
 * Cluster name, node name, advertised address and base dir are injected by the operator through environment
 * variables, and object storage credentials through env entries from a Secret (see lib/stack/cluster-credentials.ts).
 */
export function restateServerConfig(values: StackValues): RestateServerConfig {
  const uris = objectStorageUris(values);
  const objectStoreMetadata = values.metadata.store === 'object-store';
  // Validation guarantees a bucket (hence URIs) whenever snapshots or object-store metadata are on.
  const metadataClient: MetadataClientConfig =
    objectStoreMetadata && uris ? { type: 'object-store', path: uris.metadata, ...s3Connection(uris) } : { addresses: [METADATA_ADDRESS] };
  const memory = memoryConfig(values);
  return {
    ...(memory['rocksdb-total-memory-size'] !== undefined ? { 'rocksdb-total-memory-size': memory['rocksdb-total-memory-size'] } : {}),
    roles: objectStoreMetadata ? ROLES.filter((role) => role !== 'metadata-server') : [...ROLES],
    'auto-provision': objectStoreMetadata,
    'default-num-partitions': values.restate.defaultNumPartitions,
    'default-replication': renderReplication(values.restate.defaultReplication),
    ...(values.restate.logFilter ? { 'log-filter': values.restate.logFilter } : {}),
    ...(values.tracing.endpoint ? { 'tracing-endpoint': values.tracing.endpoint } : {}),
    ...(values.tracing.endpoint && values.tracing.filter ? { 'tracing-filter': values.tracing.filter } : {}),
    'metadata-client': metadataClient,
    bifrost: { 'default-provider': 'replicated', ...memory.bifrost },
    ...(values.snapshots.enabled && uris
      ? {
          worker: {
            snapshots: {
              destination: uris.snapshots,
              'snapshot-interval-num-records': values.snapshots.intervalNumRecords,
              ...s3Connection(uris),
            },
            ...memory.worker,
          },
        }
      : memory.worker
        ? { worker: memory.worker }
        : {}),
    ...(memory.admin ? { admin: memory.admin } : {}),
  };
}

const HEADER = '# Restate server configuration, generated by restate-stack from values/. Do not edit here.\n';

/** Renders the config as the TOML text the operator writes verbatim to config.toml. */
export function renderRestateConfig(config: RestateServerConfig): string {
  return HEADER + TOML.stringify(config as unknown as TOML.JsonMap);
}
