import { imageUpgrade } from './image-upgrade';
import { locationsAdded } from './locations-added';
import { noSnapshots } from './no-snapshots';
import { placementSpread } from './placement-spread';
import { podTemplateRoll } from './pod-template-roll';
import { replicasDecrease } from './replicas-decrease';
import { replicationFloor } from './replication-floor';
import type { ChangeFinding, ChangeRule, TargetChange } from './types';

export type { ChangeFinding, ChangeRefusal, ChangeRule, ChangeWarning, ManifestObject, TargetChange, TargetManifests } from './types';

/** Every rule, in the order their findings are reported. */
const RULES: readonly ChangeRule[] = [
  replicasDecrease,
  replicationFloor,
  locationsAdded,
  imageUpgrade,
  podTemplateRoll,
  placementSpread,
  noSnapshots,
];

/** What the change rules find about one target's change: refusals first, then warnings, each in rule order. */
export function checkTargetChange(change: TargetChange): ChangeFinding[] {
  const findings = RULES.flatMap((rule) => rule(change));
  return [...findings.filter((f) => f.severity === 'refuse'), ...findings.filter((f) => f.severity === 'warn')];
}
