import { drainNames } from '../../stack/day-two/drain-names';
import { clusterOf, holds, replicasOf } from './objects';
import type { ChangeFinding, TargetChange } from './types';

const PROCEDURE = 'docs/operations.md, "Scale in"';

/**
 * A `replicas` decrease against the committed target. A plain StatefulSet scale-down breaks a Restate cluster
 * (measured 5 → 3 on 1.7.12: the metadata cluster kept the two dead members, logs whose nodeset held both could
 * not be sealed, 8 partitions stayed leaderless, ingress calls hung). It is allowed only as the second commit of
 * the two-commit procedure: `scaleIn` names exactly this change, and the committed target already holds its
 * drain Job (so the drain commit landed, and ran, first).
 */
export function replicasDecrease(change: TargetChange): ChangeFinding[] {
  const before = clusterOf(change.before);
  const { values } = change;
  const scaleIn = values.scaleIn;
  if (!before) return [];
  const from = replicasOf(before);
  const to = values.replicas;
  const job = drainNames(values.clusterName, { from, to }).job;
  const refuse = (keyPath: string, message: string): ChangeFinding[] => [
    { rule: 'replicas-decrease', severity: 'refuse', keyPath, message },
  ];
  if (to < from) {
    if (!scaleIn || scaleIn.from !== from || scaleIn.to !== to) {
      const named = scaleIn ? `scaleIn names ${scaleIn.from} → ${scaleIn.to}, not this change; ` : '';
      return refuse(
        'replicas',
        `lowers replicas from ${from} (committed in ${change.before!.label}) to ${to}; ${named}a plain StatefulSet scale-down breaks a Restate cluster ` +
          '(the metadata cluster keeps the removed members, logs on their nodes cannot be sealed, partitions stay without a leader). ' +
          `Scale in takes two commits: first keep replicas: ${from} and set scaleIn: {from: ${from}, to: ${to}}, which adds the drain Job ${job} ` +
          `(worker draining, storage read-only, metadata-server remove-node, one node at a time); once it has completed, commit replicas: ${to}, ` +
          `then delete the removed pods' PVCs (${PROCEDURE})`,
      );
    }
    if (!holds(change.before, 'Job', job)) {
      return refuse(
        'replicas',
        `lowers replicas from ${from} to ${to} as scaleIn names, but the committed target (${change.before!.label}) holds no drain Job ${job}: ` +
          `the drain commit must land and complete first. Commit replicas: ${from} with scaleIn: {from: ${from}, to: ${to}} now, ` +
          `let the Job finish, then lower replicas in a second commit (${PROCEDURE})`,
      );
    }
    return [];
  }
  if (scaleIn && scaleIn.to === to && from === to) {
    return [
      {
        rule: 'scale-in-done',
        severity: 'warn',
        keyPath: 'scaleIn',
        text: `scaleIn ${scaleIn.from} → ${scaleIn.to} is done: remove it, and the removed pods' PVCs`,
        message:
          `scaleIn {from: ${scaleIn.from}, to: ${scaleIn.to}} is done (the committed target already runs ${to} replicas): ` +
          `remove scaleIn, and delete the removed pods' PVCs if you have not (${PROCEDURE})`,
      },
    ];
  }
  return [];
}
