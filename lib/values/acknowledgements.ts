import type { Warning, WarningId } from './warning-ids';

/** `warnings.acknowledge.<id>: <reason>` of one target's values. */
export interface Acknowledgement {
  readonly id: WarningId;
  readonly reason: string;
  /** The values file that set it (the last layer that did), for messages. */
  readonly file: string;
}

/** A warning that fired and that the target's values acknowledge. */
export interface AcknowledgedWarning extends Acknowledgement {
  readonly target: string;
}

/** The same acknowledgement (id, reason, file) on several targets: one entry, as plan lists it. */
export interface AcknowledgedGroup extends Acknowledgement {
  readonly targets: readonly string[];
}

export interface AcknowledgedRun {
  /** The warnings to print: those not acknowledged, and one for each acknowledgement that no longer fires. */
  readonly shown: readonly Warning[];
  readonly acknowledged: readonly AcknowledgedWarning[];
}

/**
 * What to do about a stale acknowledgement: remove it; and when its file is a layer that other targets read too (base
 * ◄ provider ◄ environment), where it can be taken back for these targets alone, since removing it would make the
 * warning speak again on the targets where it still holds. The same for every target of one file, so lines group.
 */
function staleText(acknowledgement: Acknowledgement): string {
  const narrower = /[\\/]providers[\\/][^\\/]+$/.test(acknowledgement.file)
    ? "their environment's file"
    : /[\\/]base\.ya?ml$/.test(acknowledgement.file)
      ? "their provider's or environment's file"
      : undefined;
  const remove = `remove ${acknowledgement.id} from ${acknowledgement.file}`;
  if (!narrower) return remove;
  return `${remove}, or, where it still holds on other targets that file reaches, take it back on these alone with \`${acknowledgement.id}: null\` under warnings.acknowledge in ${narrower}`;
}

/**
 * Sets each target's acknowledged warnings apart. An acknowledgement whose warning did not fire on its target is
 * itself a warning (`stale-acknowledgement`); only a caller that computed every standing warning of the target
 * (synth, plan) can tell, so `reportStale` is off for the deploy commands, which compute the values' own only.
 */
export function applyAcknowledgements(
  warnings: readonly Warning[],
  acknowledgements: ReadonlyMap<string, readonly Acknowledgement[]>,
  reportStale: boolean,
): AcknowledgedRun {
  const shown: Warning[] = [];
  const acknowledged: AcknowledgedWarning[] = [];
  const find = (warning: Warning) =>
    warning.target === undefined ? undefined : acknowledgements.get(warning.target)?.find((a) => a.id === warning.id);
  for (const warning of warnings) {
    const acknowledgement = find(warning);
    if (!acknowledgement) shown.push(warning);
    else if (!acknowledged.some((a) => a.id === warning.id && a.target === warning.target))
      acknowledged.push({ ...acknowledgement, target: warning.target! });
  }
  if (reportStale) {
    for (const [target, list] of acknowledgements) {
      for (const acknowledgement of list) {
        if (warnings.some((w) => w.id === acknowledgement.id && w.target === target)) continue;
        shown.push({ id: 'stale-acknowledgement', target, text: staleText(acknowledgement) });
      }
    }
  }
  return { shown, acknowledged };
}

/** Acknowledged warnings grouped by id, reason and file, targets in the run's order. */
export function groupAcknowledged(acknowledged: readonly AcknowledgedWarning[], runTargets: readonly string[] = []): AcknowledgedGroup[] {
  const groups = new Map<string, AcknowledgedGroup & { targets: string[] }>();
  for (const { target, ...acknowledgement } of acknowledged) {
    const key = JSON.stringify([acknowledgement.id, acknowledgement.reason, acknowledgement.file]);
    const group = groups.get(key) ?? { ...acknowledgement, targets: [] };
    if (!group.targets.includes(target)) group.targets.push(target);
    groups.set(key, group);
  }
  const rank = (target: string) => (runTargets.includes(target) ? runTargets.indexOf(target) : runTargets.length);
  return [...groups.values()].map((group) => ({ ...group, targets: [...group.targets].sort((a, b) => rank(a) - rank(b)) }));
}
