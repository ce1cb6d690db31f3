import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLocations, parseNodesList, parsePodZones, TOPOLOGY_LABELS_NEED } from '../../lib/deploy/locations';
import { provisionExecArgs } from '../../lib/deploy/provision';
import { renderReplication } from '../../lib/values';

/**
 * `restatectl nodes list --extra` of restatectl 1.7.12, from three real restate-server 1.7.12 nodes on loopback started
 * with RESTATE_LOCATION eu-central-1.a, eu-central-1.b and "eu-central-1." (what a pod without its zone label gets);
 * each line cut after 126 characters (the parser reads NAME and LOCATION by the header's offsets).
 */
const TABLE = readFileSync(join(__dirname, '../fixtures/restatectl/nodes-list-extra-1.7.12.txt'), 'utf8');
const LOCATIONS = { region: 'eu-central-1', zones: ['a', 'b', 'c'] };

describe('node locations as status checks them', () => {
  test('the LOCATION column of the real table is read per node name; "eu-central-1." is reported as the bare region', () => {
    expect(parseNodesList(TABLE)).toEqual([
      { name: 'n1', location: 'eu-central-1.a' },
      { name: 'n2', location: 'eu-central-1.b' },
      { name: 'n3', location: 'eu-central-1' },
    ]);
  });

  test('GIVEN every pod labelled and every node at <region>.<its zone> THEN the check passes', () => {
    const nodes = parseNodesList(TABLE).slice(0, 2);
    const check = checkLocations(
      nodes,
      new Map([
        ['n1', 'a'],
        ['n2', 'b'],
      ]),
      LOCATIONS,
    );
    expect(check).toEqual({ ok: true, lines: [] });
  });

  test('GIVEN a pod without the zone label THEN the check fails and says what Kubernetes needs', () => {
    const check = checkLocations(
      parseNodesList(TABLE),
      new Map([
        ['n1', 'a'],
        ['n2', 'b'],
        ['n3', undefined],
      ]),
      LOCATIONS,
    );
    expect(check.ok).toBe(false);
    expect(check.lines).toEqual([
      'n3: the pod has no topology.kubernetes.io/zone label; the node reports "eu-central-1", wanted eu-central-1.<zone>',
      TOPOLOGY_LABELS_NEED,
    ]);
    expect(TOPOLOGY_LABELS_NEED).toContain(
      'Kubernetes 1.35 or later (on by default), or 1.33/1.34 with --feature-gates=PodTopologyLabelsAdmission=true',
    );
  });

  test('GIVEN a node that registered another zone than its pod has, or a zone not listed, THEN each is named', () => {
    const check = checkLocations(
      parseNodesList(TABLE).slice(0, 2),
      new Map([
        ['n1', 'c'],
        ['n2', 'b'],
      ]),
      { ...LOCATIONS, zones: ['a', 'c'] },
    );
    expect(check.lines).toEqual([
      'n1: reports "eu-central-1.a", wanted eu-central-1.c',
      'n2: runs in zone b, which locations.zones does not list',
    ]);
  });

  test('the pods listing: <none> is a pod without the label', () => {
    expect(parsePodZones('restate-0   eu-central-1a\nrestate-1   <none>\n')).toEqual(
      new Map([
        ['restate-0', 'eu-central-1a'],
        ['restate-1', undefined],
      ]),
    );
  });

  test('promote and provision pass a zone-scoped replication to provision.sh as Restate prints it', () => {
    const args = provisionExecArgs('restate-prod', 'restate-prod', 60, 5, renderReplication({ zone: 2, node: 3 }));
    expect(args.slice(args.indexOf('--ensure-replication'), args.indexOf('--ensure-replication') + 2)).toEqual([
      '--ensure-replication',
      '{node: 3, zone: 2}',
    ]);
  });
});
