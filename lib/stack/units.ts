import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';

/**
 * A whole number of bytes as a cdk8s `Size`. cdk8s has no byte unit; dividing by 1024 only shifts a double's
 * exponent, so `bytesOf(sizeOfBytes(n)) === n` for every safe integer.
 */
export function sizeOfBytes(bytes: number): Size {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`${bytes} is not a whole number of bytes`);
  return Size.kibibytes(bytes / 1024);
}

/** A `Size` as a whole number of bytes (what `storageRequestBytes` takes); throws for a fraction of a byte. */
export function bytesOf(size: Size): number {
  const bytes = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
  if (!Number.isSafeInteger(bytes)) throw new Error(`${size.asString()} is not a whole number of bytes`);
  return bytes;
}

const GO_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as the values take it (`30s`, `1m30s`, `1.5h`) as a cdk8s `Duration`, to the millisecond. */
export function parseGoDuration(text: string): Duration {
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text)
    throw new Error(`"${text}" is not a Go duration such as 30s, 10m or 1h`);
  const millis = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * GO_UNIT_MS[unit!]!, 0);
  if (!Number.isInteger(millis)) throw new Error(`"${text}" is finer than a millisecond`);
  return Duration.millis(millis);
}

/**
 * A `Duration` as the Prometheus Operator's `Duration` type writes it (`30s`, `1m30s`, `1h`, `500ms`: units from
 * hours down, each at most once, `0s` for zero); a fraction of a millisecond is an error.
 */
export function prometheusDuration(duration: Duration): string {
  let millis = duration.toMilliseconds();
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(millis / size);
    if (count > 0) parts.push(`${count}${unit}`);
    millis -= count * size;
  }
  return parts.length > 0 ? parts.join('') : '0s';
}
