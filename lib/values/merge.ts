/** Plain data as it comes out of a YAML document. */
export type Data = { [key: string]: unknown };

export function isData(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep-merges `overlay` onto `base` without touching either: mappings merge key by key, anything else
 * (scalars, lists) replaces, and `null` removes the key so an overlay can fall back to "unset".
 */
export function mergeData(base: Data, overlay: Data): Data {
  const merged: Data = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete merged[key];
    else if (isData(value)) merged[key] = mergeData(isData(merged[key]) ? (merged[key] as Data) : {}, value);
    else merged[key] = value;
  }
  return merged;
}

/** The value at a key path, or undefined. */
export function getPath(data: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (!isData(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Whether a key path is present (set, even to null) in `data`. */
export function hasPath(data: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return true;
  const parent = getPath(data, path.slice(0, -1));
  return (isData(parent) || Array.isArray(parent)) && Object.prototype.hasOwnProperty.call(parent, path[path.length - 1]);
}
