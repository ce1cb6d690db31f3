/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * `compute` remembered by `keyOf` of its arguments, for parses that synth repeats on the same bytes (base.yaml for
 * every target; a committed manifest read by the storage guard, the operator upgrade guard and the change rules,
 * and byte for byte the fresh one when nothing changed). The results are deep-frozen, so a caller cannot change
 * what the next one gets; a computation that throws is not remembered. At most `limit` keys are kept; past that
 * the oldest goes.
 */
export function memoize<A extends readonly unknown[], T>(
  compute: (...args: A) => T,
  keyOf: (...args: A) => string,
  limit = 64,
): (...args: A) => T {
  const kept = new Map<string, T>();
  return (...args) => {
    const key = keyOf(...args);
    const hit = kept.get(key);
    if (hit !== undefined) return hit;
    const result = deepFreeze(compute(...args));
    if (kept.size >= limit) kept.delete(kept.keys().next().value as string);
    kept.set(key, result);
    return result;
  };
}
