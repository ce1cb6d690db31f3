import { clusterOf } from './objects';
import type { ChangeFinding, TargetChange } from './types';

/** Whether a pod affinity block spreads the pods: any pod anti-affinity term, preferred or required. */
export function spreads(affinity: unknown): boolean {
  const anti = (affinity as { podAntiAffinity?: Record<string, unknown> } | undefined)?.podAntiAffinity;
  if (!anti) return false;
  const terms = [anti.preferredDuringSchedulingIgnoredDuringExecution, anti.requiredDuringSchedulingIgnoredDuringExecution];
  return terms.some((list) => Array.isArray(list) && list.length > 0);
}

/**
 * A target of 3 or more replicas whose pods nothing spreads: the scheduler may put them all on one Kubernetes
 * node, and losing that node loses every copy (operator 1.7.4 has no topologySpreadConstraints; anti-affinity is
 * the only spread it offers).
 */
export function placementSpread(change: TargetChange): ChangeFinding[] {
  const after = clusterOf(change.after);
  if (!after || change.values.replicas < 3 || spreads(after.spec?.compute?.affinity)) return [];
  return [
    {
      rule: 'placement-no-spread',
      severity: 'warn',
      keyPath: 'placement',
      text: 'all pods may share one node; keep placement.spreadOver',
      message:
        `spreads none of the ${change.values.replicas} pods: no pod anti-affinity, so the scheduler may put all of them on one Kubernetes node and losing it loses every copy. ` +
        'Keep the default placement.spreadOver (preferred anti-affinity on kubernetes.io/hostname), or give placement.affinity a podAntiAffinity (docs/operations.md, "Placement")',
    },
  ];
}
