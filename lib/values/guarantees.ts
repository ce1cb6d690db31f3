/**
 * What an object store must guarantee for each use Restate makes of it. Providers declare what theirs offers
 * (`objectStorage.guarantees`); enabling a use whose needs are not declared is an error unless the missing
 * guarantees are accepted explicitly (`objectStorage.acceptMissingGuarantees`).
 */
export const GUARANTEES = ['consistentListing', 'readAfterWrite', 'conditionalWrites'] as const;
export type Guarantee = (typeof GUARANTEES)[number];

export const WHY: Readonly<Record<Guarantee, string>> = {
  consistentListing: 'a listing that lags behind writes can make a node read an older metadata version as the newest',
  readAfterWrite: 'a node must see an object as soon as it was written, or it acts on stale metadata or misses the newest snapshot',
  conditionalWrites: 'updates are compare-and-swap (If-Match/If-None-Match); without them two writers can overwrite each other silently',
};

export type ObjectStoreUse = 'snapshots' | 'object-store metadata';

export const NEEDS: Readonly<Record<ObjectStoreUse, readonly Guarantee[]>> = {
  snapshots: ['readAfterWrite', 'conditionalWrites'],
  'object-store metadata': ['consistentListing', 'readAfterWrite', 'conditionalWrites'],
};

/** The guarantees `use` needs that are neither declared nor explicitly accepted as missing. */
export function missingGuarantees(
  use: ObjectStoreUse,
  declared: Partial<Record<Guarantee, boolean>> | undefined,
  accepted: readonly Guarantee[] = [],
): Guarantee[] {
  return NEEDS[use].filter((g) => declared?.[g] !== true && !accepted.includes(g));
}
