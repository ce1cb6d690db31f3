import type { ChangeFinding, ChangeRule, TargetChange } from './types';

export type { ChangeFinding, ChangeRule, ManifestObject, TargetChange, TargetManifests } from './types';

/** Every rule, in the order their findings are reported. */
const RULES: readonly ChangeRule[] = [];

/** What the change rules find about one target's change: refusals first, then warnings, each in rule order. */
export function checkTargetChange(change: TargetChange): ChangeFinding[] {
  const findings = RULES.flatMap((rule) => rule(change));
  return [...findings.filter((f) => f.severity === 'refuse'), ...findings.filter((f) => f.severity === 'warn')];
}
