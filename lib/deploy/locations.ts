import { ZONE_LABEL } from '../values';

export { checkLocations, parseNodesList, TOPOLOGY_LABELS_NEED } from '../stack/location-check';

/** Each cluster pod with its zone label, `NAME ZONE` a line (`<none>` for a pod without the label). */
export function podZonesArgs(context: string, clusterName: string, selector: string): string[] {
  const zone = ZONE_LABEL.replace(/\./g, '\\.');
  return [
    '--context',
    context,
    '-n',
    clusterName,
    'get',
    'pods',
    '-l',
    selector,
    '--no-headers',
    '-o',
    `custom-columns=NAME:.metadata.name,ZONE:.metadata.labels.${zone}`,
  ];
}

/** The output of `podZonesArgs` as pod → zone (undefined for `<none>`). Pure. */
export function parsePodZones(text: string): Map<string, string | undefined> {
  const zones = new Map<string, string | undefined>();
  for (const line of text.split('\n')) {
    const [name, zone] = line.trim().split(/\s+/);
    if (!name) continue;
    zones.set(name, zone === undefined || zone === '<none>' ? undefined : zone);
  }
  return zones;
}
