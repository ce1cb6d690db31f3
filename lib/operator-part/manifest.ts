/**
 * The shapes the operator's part reads and writes: a Kubernetes object as JSON, and the RestateCluster as the API
 * server holds it (what the operator's informer hands its reconcile).
 */

/** A Kubernetes object as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form JSON, checked where they are read
export type Manifest = Record<string, any>;

/** The RestateCluster as read from the API server: its uid makes the owner reference of everything derived. */
export interface RestateClusterObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
    readonly finalizers?: readonly string[];
  };
  // biome-ignore lint/suspicious/noExplicitAny: the CRD's spec as written; the derivation reads the fields it needs
  readonly spec: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: the status subresource as the server holds it
  readonly status?: Record<string, any>;
}

/** Keys of a string map in code-point order, as Rust's BTreeMap serializes them; undefined for an empty map. */
export function sortedMap(map: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  const keys = Object.keys(map ?? {}).sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((key) => [key, map![key]]));
}

/** The object without its undefined fields (serde skips `None`), so that the JSON is the same whoever builds it. */
export function withoutUndefined<T extends Manifest>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}
