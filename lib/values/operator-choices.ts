import {
  type CrdsChartVersion,
  OPERATOR_FEATURES,
  type OperatorFeatures,
  type OperatorVersion,
  type Provisioner,
} from './operator-versions';
import type { StackValues } from './schema';

/** The operator version of a target (validated by the schema). */
export function operatorVersion(values: StackValues): OperatorVersion {
  return values.operator.version as OperatorVersion;
}

export function operatorFeatures(values: StackValues): OperatorFeatures {
  return OPERATOR_FEATURES[operatorVersion(values)];
}

/**
 * The version of the separate CRDs chart the target ships, or undefined when the CRDs come with the operator chart
 * (1.7.4, its crds/ folder). Operator 2.8.1 always gets its CRDs chart; 1.7.4 gets it with `operator.crdsVersion`.
 */
export function crdsChartVersion(values: StackValues): CrdsChartVersion | undefined {
  if (values.operator.crdsVersion !== undefined) return values.operator.crdsVersion;
  return operatorFeatures(values).crdsSubchart ? (operatorVersion(values) as CrdsChartVersion) : undefined;
}

/**
 * Who provisions the cluster in the cluster: our Job, the operator (`spec.cluster.autoProvision`), or nobody
 * (undefined: `provisioning.automated` is false, so `mise run provision`, or the object-store metadata provisions
 * itself).
 */
export function provisioner(values: StackValues): Provisioner | undefined {
  if (!values.provisioning.automated || values.metadata.store !== 'replicated') return undefined;
  return values.provisioning.by ?? (operatorFeatures(values).autoProvision ? 'operator' : 'job');
}
