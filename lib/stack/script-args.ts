/**
 * Argument building shared by the stack's restatectl scripts (provisioning/provision.sh, day-two/drain.sh): both
 * take `--address URL[,URL...]`, `--deadline SECONDS` and `--interval SECONDS` with the same meaning.
 */

/**
 * `value` as an argument: a whole number, at least `min`; else an Error that names the option, e.g.
 * `deadlineSeconds must be a whole number of seconds, at least 1 (got 1.5)` (with `unit` 'seconds').
 */
export function wholeArg(name: string, value: number, min: number, unit?: string): string {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be a whole number${unit ? ` of ${unit}` : ''}, at least ${min} (got ${value})`);
  }
  return String(value);
}

/**
 * `--address` with the fabric address(es) joined by commas, or nothing when `address` is left out (the script's
 * default then applies). Each must be an http(s) URL without spaces or commas, and there must be one at least.
 */
export function addressArgs(address: string | readonly string[] | undefined): string[] {
  if (address === undefined) return [];
  const list = typeof address === 'string' ? [address] : [...address];
  if (list.length === 0 || list.some((a) => !/^https?:\/\/[^\s,]+$/.test(a))) {
    throw new Error(`address must be one or more http(s) URLs without spaces or commas (got ${JSON.stringify(address)})`);
  }
  return ['--address', list.join(',')];
}
