import { ZONE_LABEL } from '../values';

/**
 * What Kubernetes needs for a pod to know its zone: the PodTopologyLabels admission plugin copies the node's
 * topology.kubernetes.io/zone label onto the pod when it is bound (feature gate PodTopologyLabelsAdmission: alpha in
 * 1.33, beta and on by default from 1.35; kubernetes v1.37.2 pkg/features/kube_features.go:2000-2003).
 */
export const TOPOLOGY_LABELS_NEED =
  `pods carry ${ZONE_LABEL} only where the API server runs the PodTopologyLabels admission: Kubernetes 1.35 or later (on by default), ` +
  'or 1.33/1.34 with --feature-gates=PodTopologyLabelsAdmission=true; it labels a pod when it is scheduled, so restart the pods ' +
  'scheduled before it was on, and the nodes must carry the zone label';

/** One node of `restatectl nodes list --extra`: its name (the pod's) and the LOCATION it registered. */
export interface ReportedNode {
  readonly name: string;
  readonly location: string;
}

/**
 * The NAME and LOCATION columns of `restatectl nodes list --extra` (restatectl v1.4.4
 * tools/restatectl/src/commands/node/list_nodes.rs:85-125; the same table in 1.7.12). An empty location leaves its
 * cell blank, so the columns are cut at the header's offsets rather than split on spaces. Pure.
 */
export function parseNodesList(text: string): ReportedNode[] {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /\bNAME\b/.test(line) && /\bLOCATION\b/.test(line));
  if (header < 0) return [];
  const head = lines[header]!;
  const cell = (line: string, column: string) => {
    const start = head.search(new RegExp(`\\b${column}\\b`));
    const next = head.slice(start + column.length).search(/\S/);
    const end = next < 0 ? line.length : start + column.length + next;
    return line.slice(start, end).trim();
  };
  return lines
    .slice(header + 1)
    .filter((line) => /^\s*N\d+\s/.test(line))
    .map((line) => ({ name: cell(line, 'NAME'), location: cell(line, 'LOCATION') }));
}

/** What the location check found: one line per node that is not where it should be, and the need when labels lack. */
export interface LocationCheck {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

/**
 * Whether every node reports the location it should: `<region>.<zone of its pod>`, the zone one of `zones`. `podZones`
 * maps each pod to its zone label (undefined: the pod has none). Pure.
 */
export function checkLocations(
  nodes: readonly ReportedNode[],
  podZones: ReadonlyMap<string, string | undefined>,
  locations: { readonly region: string; readonly zones: readonly string[] },
): LocationCheck {
  if (podZones.size === 0) return { ok: false, lines: ['no pod of the cluster is listed: nothing reports a location yet'] };
  const lines: string[] = [];
  let unlabelled = false;
  for (const [pod, zone] of [...podZones].sort(([a], [b]) => a.localeCompare(b))) {
    const node = nodes.find((n) => n.name === pod);
    if (!node) {
      lines.push(`${pod}: not in the nodes configuration yet`);
      continue;
    }
    if (zone === undefined) unlabelled = true;
    const want = zone === undefined ? `${locations.region}.<zone>` : `${locations.region}.${zone}`;
    if (zone === undefined) lines.push(`${pod}: the pod has no ${ZONE_LABEL} label; the node reports "${node.location}", wanted ${want}`);
    else if (node.location !== want) lines.push(`${pod}: reports "${node.location}", wanted ${want}`);
    else if (!locations.zones.includes(zone)) lines.push(`${pod}: runs in zone ${zone}, which locations.zones does not list`);
  }
  if (unlabelled) lines.push(TOPOLOGY_LABELS_NEED);
  return { ok: lines.length === 0, lines };
}
