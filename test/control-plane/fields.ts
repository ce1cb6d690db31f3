/**
 * Did the server keep what we wrote? Compares an object as written (a manifest) with the object the server
 * returns: every field written must come back with the value written. Fields the server adds (defaults, status,
 * metadata it manages) are fine; a field it dropped or changed is a silent loss.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The paths (`spec.compute.replicas`, `spec.list[2]`) of written fields the live object lacks or holds differently. */
export function lostFields(written: Json, live: Json, path = ''): string[] {
  if (Array.isArray(written)) {
    if (!Array.isArray(live) || live.length !== written.length)
      return [`${path} (written ${JSON.stringify(written)}, live ${JSON.stringify(live)})`];
    return written.flatMap((item, index) => lostFields(item, live[index], `${path}[${index}]`));
  }
  if (written !== null && typeof written === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live))
      return [`${path} (written an object, live ${JSON.stringify(live)})`];
    return Object.entries(written).flatMap(([key, value]) =>
      key in live ? lostFields(value, live[key], path ? `${path}.${key}` : key) : [`${path ? `${path}.${key}` : key} (missing)`],
    );
  }
  return written === live ? [] : [`${path} (written ${JSON.stringify(written)}, live ${JSON.stringify(live)})`];
}
