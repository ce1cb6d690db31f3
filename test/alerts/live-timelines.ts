import type { FaultKind, LiveAlertsRecord } from '../support/live-alerts-scenario';

/** One alert in one fault, in seconds from the fault (as sampled once a second from the Prometheus API). */
export interface Timeline {
  /** First seen active (pending, or already firing). */
  readonly pending: number;
  readonly firing?: number;
  /** Last seen active. */
  readonly lastActive: number;
  /** First look after the last active one, within the fault; undefined while still active at its end. */
  readonly resolved?: number;
  /** The separate active stretches: first and last look active, in seconds from the fault. */
  readonly episodes: ReadonlyArray<readonly [number, number]>;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Index ranges where `flags` holds, first and last index of each. */
function stretches(flags: readonly boolean[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  flags.forEach((f, i) => {
    if (!f) return;
    if (flags[i - 1]) out[out.length - 1]![1] = i;
    else out.push([i, i]);
  });
  return out;
}

/** Each fault's alerts: the samples from its injection to the next fault's (or the end). */
export function alertTimelines(record: LiveAlertsRecord): Map<FaultKind, Map<string, Timeline>> {
  const out = new Map<FaultKind, Map<string, Timeline>>();
  record.faults.forEach((fault, i) => {
    const end = record.faults[i + 1]?.at ?? record.end + 1;
    const window = record.samples.filter((s) => s.t >= fault.at && s.t < end);
    const names = [...new Set(window.flatMap((s) => Object.keys(s.alerts)))].sort();
    const alerts = new Map<string, Timeline>();
    for (const name of names) {
      const active = window.map((s) => s.alerts[name] !== undefined);
      const last = active.lastIndexOf(true);
      const firing = window.find((s) => s.alerts[name] === 'firing');
      const resolved = window[last + 1];
      alerts.set(name, {
        pending: round(window[active.indexOf(true)]!.t - fault.at),
        ...(firing ? { firing: round(firing.t - fault.at) } : {}),
        lastActive: round(window[last]!.t - fault.at),
        ...(resolved ? { resolved: round(resolved.t - fault.at) } : {}),
        episodes: stretches(active).map(([a, b]) => [round(window[a]!.t - fault.at), round(window[b]!.t - fault.at)] as const),
      });
    }
    out.set(fault.kind, alerts);
  });
  return out;
}

const cell = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1));

/** The report: per fault, what was done and each alert's seconds from the fault to pending, firing and resolved. */
export function faultTable(record: LiveAlertsRecord, timelines: Map<FaultKind, Map<string, Timeline>>): string {
  const lines = [
    '| Fault | Alert | Pending | Firing | Resolved | Recovery started | Recovery done |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const fault of record.faults) {
    const recovery = [cell(fault.recoveryAt - fault.at), cell(fault.recoveredAt - fault.at)];
    const alerts = [...(timelines.get(fault.kind) ?? new Map<string, Timeline>()).entries()];
    if (alerts.length === 0) lines.push(`| ${fault.kind} | (none) | – | – | – | ${recovery.join(' | ')} |`);
    for (const [name, t] of alerts) {
      const flaps = t.episodes.length > 1 ? ` (active ${t.episodes.map(([a, b]) => `${cell(a)}–${cell(b)}`).join(', ')})` : '';
      lines.push(
        `| ${fault.kind} | \`${name}\`${flaps} | ${cell(t.pending)} | ${cell(t.firing)} | ${cell(t.resolved)} | ${recovery.join(' | ')} |`,
      );
    }
  }
  const steps = record.faults.map((f) => `${f.kind}: ${f.steps.join('; ')}`);
  return [...lines, '', ...steps, '', ...diagnoses(record)].join('\n');
}

/** Per fault, each change of what the alerts stood on (targets down, dead counts), from the fault's time. */
function diagnoses(record: LiveAlertsRecord): string[] {
  return record.faults.flatMap((fault, i) => {
    const end = record.faults[i + 1]?.at ?? record.end + 1;
    const window = record.samples.filter((s) => s.t >= fault.at && s.t < end);
    return window
      .filter((s, j) => s.why !== window[j - 1]?.why)
      .map((s) => `${fault.kind} +${cell(s.t - fault.at)} s: ${s.why ?? 'no alert active'}`);
  });
}
