/**
 * What the Kubernetes API server refuses, checked at synth time so that a mistake is named with its file and key
 * instead of surfacing as a failed apply or sync. The rules are those of k8s.io/apimachinery
 * (pkg/util/validation/validation.go, pkg/api/validation/objectmeta.go, pkg/api/resource/quantity.go).
 */
import { z } from 'zod';

/** Kubernetes `int32` fields (`replicas`): the API server refuses anything above. */
export const INT32_MAX = 2 ** 31 - 1;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a label or annotation key is invalid, or undefined: `[prefix/]name`, prefix a DNS subdomain. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a key has at most one "/" (prefix/name)';
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'the prefix before "/" is empty';
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))
      return `the prefix "${prefix}" must be a DNS subdomain (lower-case, at most 253 characters)`;
  }
  if (name.length === 0) return 'the name is empty';
  if (name.length > 63) return `the name part is ${name.length} characters; at most 63 are allowed`;
  if (!NAME_PART.test(name))
    return 'the name part must start and end with a letter or digit and hold only letters, digits, "-", "_" and "."';
  return undefined;
}

/** Why a label value is invalid, or undefined: empty, or at most 63 name characters. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `is ${value.length} characters; a label value may have at most 63`;
  if (!NAME_PART.test(value))
    return 'a label value must start and end with a letter or digit and hold only letters, digits, "-", "_" and "." (no spaces or newlines)';
  return undefined;
}

/** Label key → value, as the API server accepts them on objects and in selectors. */
export const labelMap = z
  .record(z.string(), z.string({ error: 'must be a string (quote numbers and booleans)' }))
  .superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
      const keyProblem = qualifiedNameProblem(key);
      if (keyProblem) ctx.addIssue({ code: 'custom', path: [key], message: `is not a valid label key: ${keyProblem}` });
      const valueProblem = labelValueProblem(value);
      if (valueProblem) ctx.addIssue({ code: 'custom', path: [key], message: `${JSON.stringify(value)} ${valueProblem}` });
    }
  });

/** All annotations of one object together may hold at most this many bytes (keys and values). */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Annotation key → value: keys as label keys, values free text, the whole at most 256 KiB. */
export const annotationMap = z
  .record(z.string(), z.string({ error: 'must be a string (quote numbers and booleans)' }))
  .superRefine((map, ctx) => {
    let bytes = 0;
    for (const [key, value] of Object.entries(map)) {
      const keyProblem = qualifiedNameProblem(key);
      if (keyProblem) ctx.addIssue({ code: 'custom', path: [key], message: `is not a valid annotation key: ${keyProblem}` });
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    if (bytes > ANNOTATIONS_MAX_BYTES)
      ctx.addIssue({ code: 'custom', message: `annotations total ${bytes} bytes; Kubernetes allows at most ${ANNOTATIONS_MAX_BYTES}` });
  });

/** A string that must be one line: no newline or other control character. */
export const singleLine = (what = 'this value') =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .refine((text) => !CONTROL.test(text), {
      error: (issue) => `${what} must be a single line without control characters, got ${JSON.stringify(issue.input)}`,
    });

/**
 * An environment variable name. Kubernetes before 1.34 accepted `[-._a-zA-Z][-._a-zA-Z0-9]*` only; we ask for a C
 * identifier, which every Kubernetes version, every shell and the operator's `env_filter` reading all accept.
 */
export const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not an environment variable name: letters, digits and "_", not starting with a digit`,
});

/** A key of a Secret's data: letters, digits, "-", "_" and ".", at most 253, not "." or "..". */
export const secretKey = z.string().refine((key) => /^[-._a-zA-Z0-9]{1,253}$/.test(key) && key !== '.' && key !== '..', {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a valid Secret key: 1 to 253 letters, digits, "-", "_" or ".", and not "." or ".."`,
});

/** Namespaces every cluster has: the operator cannot create a RestateCluster's namespace with one of these names. */
export const ALWAYS_EXISTING_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

// k8s.io/apimachinery/pkg/api/resource: <sign><digits>[.<digits>]<suffix>, suffix a binary or decimal SI one or
// an exponent.
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const DECIMAL_POWER: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A quantity as an exact fraction, or a reason it is not one. */
export function parseQuantity(text: string): { numerator: bigint; denominator: bigint } | string {
  const match = QUANTITY.exec(text);
  if (!match) return `"${text}" is not a Kubernetes quantity (examples: 500m, 2, 1.5, 512Mi, 4Gi)`;
  const [, sign, number, suffix = ''] = match;
  const [whole, fraction = ''] = number.split('.');
  let numerator = BigInt((whole || '0') + fraction) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  const binary = /^[KMGTPE]i$/.test(suffix) ? 'KMGTPE'.indexOf(suffix[0]) + 1 : 0;
  const power = binary ? 0 : suffix.startsWith('e') || suffix.startsWith('E') ? Number(suffix.slice(1)) : DECIMAL_POWER[suffix];
  if (Math.abs(power) > 30) return `"${text}" has an exponent out of range`;
  if (binary) numerator *= 1024n ** BigInt(binary);
  if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator *= 10n ** BigInt(-power);
  return { numerator, denominator };
}

/** A CPU or memory amount: a Kubernetes quantity, not negative. */
export const resourceQuantity = z.string({ error: 'must be a quantity as a string, e.g. "500m" or "512Mi"' }).superRefine((text, ctx) => {
  const parsed = parseQuantity(text);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  else if (parsed.numerator < 0n) ctx.addIssue({ code: 'custom', message: `"${text}" is negative; resources must be 0 or more` });
});

/** Whether quantity `a` is larger than `b` (both valid). */
export function quantityExceeds(a: string, b: string): boolean {
  const [x, y] = [parseQuantity(a), parseQuantity(b)];
  if (typeof x === 'string' || typeof y === 'string') return false;
  return x.numerator * y.denominator > y.numerator * x.denominator;
}
