import { replicationCopies } from '../../values';
import { clusterOf, configOf, replicationNodes } from './objects';
import type { ChangeFinding, TargetChange } from './types';

/**
 * `replicas` (and `scaleIn.to`) below what replication needs. The values' own `restate.defaultReplication` is
 * checked by the schema; this rule adds the replication the committed target runs with: `default-replication`
 * applies at provisioning only, so lowering it in values does not lower what the running cluster needs until the
 * replication step (`restatectl config set`) applied it. Each copy of a log and of a partition needs its own node.
 */
export function replicationFloor(change: TargetChange): ChangeFinding[] {
  const before = clusterOf(change.before);
  const committed = before ? replicationNodes(configOf(before)['default-replication']) : undefined;
  const wanted = replicationCopies(change.values.restate.defaultReplication);
  const needed = Math.max(wanted, committed ?? 0);
  const source =
    committed !== undefined && committed > wanted
      ? `the committed target runs with default-replication ${committed} (${change.before!.label}); lower restate.defaultReplication in a commit of its own first ` +
        '(the stack applies it to the running cluster with restatectl config set), then lower replicas'
      : `restate.defaultReplication is ${wanted}`;
  const findings: ChangeFinding[] = [];
  const check = (keyPath: string, count: number) => {
    if (count < needed) {
      findings.push({
        rule: 'replicas-below-replication',
        severity: 'refuse',
        keyPath,
        message: `${count} is below the ${needed} nodes the replication needs: each copy of a log and a partition needs its own node, and ${source}`,
      });
    }
  };
  check('replicas', change.values.replicas);
  if (change.values.scaleIn) check('scaleIn.to', change.values.scaleIn.to);
  return findings;
}
