import type { StackValues } from '../../values';

/**
 * Values of the operator chart (1.7.4) that the stack lets users set. The values schema
 * (lib/values/schema.ts) rejects keys the pinned chart would silently ignore.
 */
export type OperatorChartValues = StackValues['operator']['chartValues'] & {
  /** Chart 2.8.1: install the CRDs subchart (values.yaml:6 at v2.8.1); the stack sets false and ships the CRDs chart apart. */
  readonly installCrds?: boolean;
  /** Chart 2.8.1: the cluster DNS domain the operator dials pods under (deployment.yaml:75-78); from `clusterDomain`. */
  readonly clusterDns?: string;
};

/** The values as a plain object for Helm, Argo CD and Flux; `undefined` when empty (chart defaults). */
export function nonEmptyValues(values: OperatorChartValues): Record<string, unknown> | undefined {
  return Object.keys(values).length > 0 ? (values as Record<string, unknown>) : undefined;
}
