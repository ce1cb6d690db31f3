/**
 * Kubernetes resource quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/),
 * restricted to what a volume size can be: a whole, positive number of bytes.
 */

const SUFFIX_FACTORS: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 10n ** 3n,
  M: 10n ** 6n,
  G: 10n ** 9n,
  T: 10n ** 12n,
  P: 10n ** 15n,
  E: 10n ** 18n,
  Ki: 2n ** 10n,
  Mi: 2n ** 20n,
  Gi: 2n ** 30n,
  Ti: 2n ** 40n,
  Pi: 2n ** 50n,
  Ei: 2n ** 60n,
};

const QUANTITY = /^([0-9]+)(?:\.([0-9]+))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;

/**
 * Parses a quantity such as `40Gi`, `500M` or `1e9` into an exact byte count.
 * @throws Error with a reason when the text is not a quantity, is not positive, is not a whole number of
 *   bytes, or does not fit in a JSON integer that the API server and JavaScript agree on (2^53 - 1).
 */
export function quantityToBytes(text: string): number {
  const match = QUANTITY.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not a Kubernetes quantity (examples: 40Gi, 500Mi, 100G)`);
  }
  const [, whole, fraction = '', suffix = '', exponent] = match;
  let numerator = BigInt(whole + fraction);
  let denominator = 10n ** BigInt(fraction.length);
  if (exponent !== undefined) {
    const power = Number(exponent);
    if (Math.abs(power) > 30) throw new Error(`"${text}" has an exponent out of range`);
    if (power >= 0) numerator *= 10n ** BigInt(power);
    else denominator *= 10n ** BigInt(-power);
  } else {
    numerator *= SUFFIX_FACTORS[suffix];
  }
  if (numerator % denominator !== 0n) {
    throw new Error(`"${text}" is not a whole number of bytes`);
  }
  const bytes = numerator / denominator;
  if (bytes <= 0n) throw new Error(`"${text}" must be more than zero bytes`);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`"${text}" is larger than 2^53-1 bytes`);
  return Number(bytes);
}
