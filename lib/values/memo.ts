/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * `compute` remembered by its text argument, for parses that synth repeats on the same bytes (base.yaml for every
 * target; a committed manifest read by the storage guard, the operator upgrade guard and the change rules, and
 * byte for byte the fresh one when nothing changed). The results are deep-frozen, so a caller cannot change what
 * the next one gets. At most `limit` texts are kept; past that the oldest goes.
 */
export function memoByText<T>(compute: (text: string) => T, limit = 64): (text: string) => T {
  const kept = new Map<string, T>();
  return (text) => {
    const hit = kept.get(text);
    if (hit !== undefined) return hit;
    const result = deepFreeze(compute(text));
    if (kept.size >= limit) kept.delete(kept.keys().next().value as string);
    kept.set(text, result);
    return result;
  };
}
