import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANYTHING_ELSE_SUCCEEDS, type Rule } from '../fixtures/kubectl-stand-in';
import { deployWithStandIn } from '../support/deploy-run';
import { DeployValuesDir } from '../support/deploy-values';

// status needs the values only: dev/vultr with locations, its nodes named as the real 1.7.12 table names them.
const dist = mkdtempSync(join(tmpdir(), 'restate-stack-status-locations-'));
const values = new DeployValuesDir().set('base.yaml', ['locations'], { region: 'eu-central-1', zones: ['a', 'b', 'c'] });
// The stand-in's stdout may not hold "|": the ROLES column's separators become "/" (the check reads NAME and LOCATION).
const TABLE = readFileSync(join(__dirname, '../fixtures/restatectl/nodes-list-extra-1.7.12.txt'), 'utf8').replace(/\|/g, '/');
const standIns: Array<{ remove(): void }> = [];
afterEach(() => standIns.splice(0).forEach((s) => s.remove()));
afterAll(() => {
  values.remove();
  rmSync(dist, { recursive: true, force: true });
});

const status = (podZones: string) =>
  deployWithStandIn(
    'status',
    [
      { match: 'config current-context', stdout: 'restate-dev\n' },
      { match: '*get pods*custom-columns=NAME:.metadata.name,ZONE:*', stdout: podZones },
      { match: '*exec restate-0 -- restatectl nodes list --extra*', stdout: TABLE },
      { match: '*jsonpath*Ready*', stdout: 'Ready\tTrue\tProvisioned\t\n' },
      ANYTHING_ELSE_SUCCEEDS,
    ] as Rule[],
    { dist, provider: 'vultr', cleanup: standIns, overrides: { valuesDir: values.path } },
  );

describe('status checks that every node reports its zone', () => {
  test('GIVEN a pod without the zone label WHEN status runs THEN it names the pod, what Kubernetes needs, and exits 1', () => {
    const run = status('n1   a\nn2   b\nn3   <none>\n');
    expect(run.out).toContain('== node locations (eu-central-1, zones a, b, c)');
    expect(run.out).toContain(
      'n3: the pod has no topology.kubernetes.io/zone label; the node reports "eu-central-1", wanted eu-central-1.<zone>',
    );
    expect(run.out).toContain('PodTopologyLabels admission: Kubernetes 1.35 or later (on by default)');
    expect(run.out).toMatch(/== summary: .*nodes without their zone/);
    expect(run.code).toBe(1);
  });

  test('GIVEN every listed node at <region>.<zone of its pod> WHEN status runs THEN the locations pass', () => {
    const run = status('n1   a\nn2   b\n');
    expect(run.out).toContain('every node reports <region>.<zone of its pod>');
    expect(run.out).toMatch(/== summary: .*every node in its zone/);
    expect(run.calls).toEqual(
      expect.arrayContaining([
        [
          '--context',
          'restate-dev',
          '-n',
          'restate-dev',
          'exec',
          'restate-0',
          '--',
          'restatectl',
          'nodes',
          'list',
          '--extra',
          '--address',
          'http://127.0.0.1:5122',
        ],
      ]),
    );
  });

  test('GIVEN no pod of the cluster listed WHEN status runs THEN the locations do not pass', () => {
    const run = status('');
    expect(run.out).toContain('no pod of the cluster is listed');
    expect(run.code).toBe(1);
  });
});
