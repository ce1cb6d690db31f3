import { type Warning, type WarningId, warningAnchor } from './warning-ids';

/** One finding and every target it applies to: what synth prints as one line, and plan lists once. */
export interface WarningGroup {
  readonly id: WarningId;
  /** `<environment>/<provider>`, in the order of the run's targets; empty for a warning about the run itself. */
  readonly targets: readonly string[];
  readonly text: string;
}

/** The longest line a warning should take, `warning: ` included. */
export const WARNING_LINE_LIMIT = 160;

/** The same id and text on several targets is one group; groups in first-seen order, targets in the run's order. */
export function groupWarnings(warnings: readonly Warning[], runTargets: readonly string[] = []): WarningGroup[] {
  const groups = new Map<string, { id: WarningId; text: string; targets: string[] }>();
  for (const warning of warnings) {
    const key = `${warning.id}\n${warning.text}`;
    const group = groups.get(key) ?? { id: warning.id, text: warning.text, targets: [] };
    if (warning.target !== undefined && !group.targets.includes(warning.target)) group.targets.push(warning.target);
    groups.set(key, group);
  }
  const rank = (target: string) => {
    const index = runTargets.indexOf(target);
    return index < 0 ? runTargets.length : index;
  };
  return [...groups.values()].map((group) => ({ ...group, targets: [...group.targets].sort((a, b) => rank(a) - rank(b)) }));
}

/** How much room a line gives the targets: every name, names sharing a provider folded, or the first two and a count. */
export type TargetsForm = 'full' | 'folded' | 'short';

/**
 * How a line names the targets of a group: `dev/vultr, prod/vultr`, or `all 5 targets` when it is every target of a
 * run of three or more. `folded` writes the environments of one provider together (`{dev,staging,prod}/vultr`);
 * `short` names the first two and how many more.
 */
export function targetsLabel(targets: readonly string[], runTargets: readonly string[], form: TargetsForm = 'full'): string {
  const all = runTargets.length >= 3 && targets.length === runTargets.length && runTargets.every((t) => targets.includes(t));
  if (all) return `all ${targets.length} targets`;
  if (form === 'short' && targets.length > 3) return `${targets.slice(0, 2).join(', ')} +${targets.length - 2} more`;
  if (form === 'full' || form === 'short') return targets.join(', ');
  const byProvider = new Map<string, string[]>();
  for (const target of targets) {
    const slash = target.lastIndexOf('/');
    const [environment, provider] = slash < 0 ? [target, ''] : [target.slice(0, slash), target.slice(slash + 1)];
    byProvider.set(provider, [...(byProvider.get(provider) ?? []), environment]);
  }
  return [...byProvider]
    .map(([provider, environments]) =>
      environments.length === 1 ? `${environments[0]}/${provider}` : `{${environments.join(',')}}/${provider}`,
    )
    .join(', ');
}

/**
 * One group as one line: `snapshots-off on dev/vultr, prod/vultr: <text> (docs/warnings.md#snapshots-off)`. When
 * naming every target would take the line past {@link WARNING_LINE_LIMIT}, it folds them by provider, and then names
 * the first two and a count.
 */
export function warningLine(group: WarningGroup, runTargets: readonly string[], prefix = ''): string {
  const line = (form: TargetsForm) => {
    const on = group.targets.length > 0 ? ` on ${targetsLabel(group.targets, runTargets, form)}` : '';
    return `${prefix}${group.id}${on}: ${group.text} (${warningAnchor(group.id)})`;
  };
  const forms: TargetsForm[] = ['full', 'folded', 'short'];
  const fitting = forms.map(line).find((text) => text.length <= WARNING_LINE_LIMIT);
  return fitting ?? line('short');
}

/** What synth prints to stderr: one `warning: ` line per group. */
export function warningLines(warnings: readonly Warning[], runTargets: readonly string[]): string[] {
  return groupWarnings(warnings, runTargets).map((group) => warningLine(group, runTargets, 'warning: '));
}
