import { readOperatorRelease } from '../target-folder/operator-release';
import { isRecord, parseManifest, restateClusters } from '../target-folder/restate-cluster';
import { crdsChartVersion, operatorVersion, provisioner, type StackValues, type ValuesProblem } from '../values';

/** What the upgrade guard compares: the operator, its CRDs, and the cluster fields only 2.8.1 reconciles. */
export interface OperatorState {
  /** @default undefined - not known (a target without committed output) */
  readonly operatorVersion?: string;
  /** Version of the separate CRDs chart; undefined when the CRDs come with the operator chart. */
  readonly crdsVersion?: string;
  /** The RestateCluster fields of operator 2.8.1 that the target sets (`spec.cluster.autoProvision`, …). */
  readonly newClusterFields: readonly string[];
}

const AUTO_PROVISION = 'spec.cluster.autoProvision';
const TOPOLOGY_SPREAD = 'spec.compute.topologySpreadConstraints';

/** The state a fresh synth of `values` produces. */
export function operatorStateOf(values: StackValues): OperatorState {
  return {
    operatorVersion: operatorVersion(values),
    crdsVersion: crdsChartVersion(values),
    newClusterFields: [
      ...(provisioner(values) === 'operator' ? [AUTO_PROVISION] : []),
      ...(values.topologySpread?.length ? [TOPOLOGY_SPREAD] : []),
    ],
  };
}

/** The state of a committed target, from its operator file and its cluster file. */
export function committedOperatorState(operatorFile: string | undefined, clusterFile: string | undefined): OperatorState {
  const release = operatorFile === undefined ? {} : readOperatorRelease(operatorFile);
  const cluster = clusterFile === undefined ? undefined : restateClusters(parseManifest(clusterFile).objects)[0];
  const spec = isRecord(cluster?.spec) ? cluster.spec : {};
  const fields: string[] = [];
  if (isRecord(spec.cluster) && spec.cluster.autoProvision === true) fields.push(AUTO_PROVISION);
  if (isRecord(spec.compute) && Array.isArray(spec.compute.topologySpreadConstraints) && spec.compute.topologySpreadConstraints.length > 0)
    fields.push(TOPOLOGY_SPREAD);
  return { ...release, newClusterFields: fields };
}

/**
 * What is unsafe about going from the committed state `before` to `next` in one commit. The upgrade from
 * operator 1.7.4 to 2.8.1 takes three commits, each synced and checked before the next (docs/operator-upgrade.md):
 *
 * 1. the 2.8.1 CRDs (`operator.crdsVersion: 2.8.1`, the operator still 1.7.4): the 2.8.1 operator watches
 *    RestateCloudEnvironment too and writes `status.provisioned`, which the 1.7.4 CRD does not have;
 * 2. the chart (`operator.version: 2.8.1`, cluster unchanged, e.g. `provisioning.by: job`): the new operator
 *    rolls the pods once, gated by its 30 s readiness delay;
 * 3. the cluster's new fields (autoProvision, topologySpreadConstraints), once 2.8.1 reconciles them: a 1.7.4
 *    operator still running would ignore them, and one rolled back to would drop them with a roll of every pod
 *    that has no readiness delay.
 *
 * Going back (2.8.1 to 1.7.4, or the CRDs to 1.7.4's) is refused: 1.7.4 would reconcile the cluster with no
 * readiness delay and its CRD would prune the fields 2.8.1 wrote.
 */
export function operatorUpgradeProblems(target: string, before: OperatorState, next: OperatorState): ValuesProblem[] {
  const problems: ValuesProblem[] = [];
  const at = (keyPath: string, message: string) => problems.push({ file: target, keyPath, message });
  if (before.operatorVersion === undefined) return problems;
  const guide = 'see docs/operator-upgrade.md';
  if (before.operatorVersion === '1.7.4' && next.operatorVersion === '2.8.1' && before.crdsVersion !== '2.8.1') {
    at(
      'operator.version',
      `moves the operator from 1.7.4 to 2.8.1 while the committed target still ships the 1.7.4 CRDs. CRDs first: commit ` +
        `operator.crdsVersion: 2.8.1 with operator.version 1.7.4, sync it and check the CRDs, then change operator.version (${guide})`,
    );
  }
  const added = next.newClusterFields.filter((field) => !before.newClusterFields.includes(field));
  if (added.length > 0 && before.operatorVersion !== '2.8.1' && next.operatorVersion === '2.8.1') {
    at(
      added.includes(AUTO_PROVISION) ? 'provisioning.by' : 'topologySpread',
      `adds ${added.join(' and ')} in the same commit that brings operator 2.8.1 (the committed target runs ${before.operatorVersion}). ` +
        `The chart first, with the cluster unchanged (provisioning.by: job, no topologySpread); the new fields in the next commit, once 2.8.1 runs (${guide})`,
    );
  }
  if (before.operatorVersion === '2.8.1' && next.operatorVersion === '1.7.4') {
    at(
      'operator.version',
      `goes back from 2.8.1 to 1.7.4: 1.7.4 would roll every pod with no readiness delay and ignore the fields 2.8.1 reconciles; not supported (${guide})`,
    );
  }
  if (before.crdsVersion === '2.8.1' && next.crdsVersion === undefined) {
    at(
      'operator.crdsVersion',
      `goes back from the 2.8.1 CRDs to those of chart 1.7.4, whose schema would prune what 2.8.1 wrote; not supported (${guide})`,
    );
  }
  return problems;
}
