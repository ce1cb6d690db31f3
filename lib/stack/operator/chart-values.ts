import type { StackValues } from '../../values';

/**
 * Values of the operator chart (1.7.4) that the stack lets users set. The values schema
 * (lib/values/schema.ts) rejects keys the pinned chart would silently ignore.
 */
export type OperatorChartValues = StackValues['operator']['chartValues'];

/** The values as a plain object for Helm, Argo CD and Flux; `undefined` when empty (chart defaults). */
export function nonEmptyValues(values: OperatorChartValues): Record<string, unknown> | undefined {
  return Object.keys(values).length > 0 ? (values as Record<string, unknown>) : undefined;
}
