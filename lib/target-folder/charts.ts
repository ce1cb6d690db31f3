/**
 * The charts of a target, in apply order. Synth makes each chart depend on the one before it, so cdk8s numbers
 * the files of a target folder `NNNN-<chart id>.k8s.yaml` in this order, and applying the folder in file order
 * applies the operator and its CRDs before the cluster, and the cluster before what runs against it.
 * The provisioning, day-two and monitoring charts are optional; the numbers close up when one is absent. The
 * day-two chart exists only while values `scaleIn` is set (the drain Job of a scale-in).
 */
export const ChartIds = {
  OPERATOR: 'operator',
  CLUSTER: 'cluster',
  PROVISIONING: 'provisioning',
  DAY_TWO: 'day-two',
  MONITORING: 'monitoring',
} as const;

export type ChartId = (typeof ChartIds)[keyof typeof ChartIds];
