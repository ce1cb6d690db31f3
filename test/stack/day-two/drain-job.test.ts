import { App, Testing } from 'cdk8s';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DrainJob } from '../../../lib/stack/day-two/drain-job';
import { drainNames, drainPeer } from '../../../lib/stack/day-two/drain-names';
import { buildStack } from '../../../lib/stack/stack';
import { loadTargetValues } from '../../../lib/values';
import { validateManifests } from '../../support/validate';
import { ValuesDir } from '../../support/values-dir';

const SCRIPT = readFileSync(join(__dirname, '..', '..', '..', 'lib', 'stack', 'day-two', 'drain.sh'), 'utf8');

function synthJob() {
  const chart = Testing.chart();
  new DrainJob(chart, 'Drain', {
    clusterName: 'restate-prod',
    scaleIn: { from: 5, to: 3 },
    namespace: 'restate-operator',
    image: 'restatedev/restate:1.4',
  });
  const objects = Testing.synth(chart);
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);
  return { objects, configMap: byKind('ConfigMap'), job: byKind('Job') };
}

/** Synthesizes one target of a values folder; the objects of every chart, by chart id. */
function synthTarget(dir: ValuesDir, environment: string, provider: string) {
  const { values } = loadTargetValues(dir.path, environment, provider);
  const app = new App({ outdir: join(dir.path, 'out') });
  buildStack(app, values, { helmExecutable: join(__dirname, '..', '..', 'support', 'helm-stand-in.ts') });
  return new Map(
    app.charts.map((chart) => [
      chart.node.id,
      chart.toJson() as {
        kind: string;
        metadata: { name: string; namespace?: string };
        spec?: { security?: { networkPeers?: { metrics?: unknown[] } } };
      }[],
    ]),
  );
}

describe('DrainJob', () => {
  test('GIVEN a scale-in 5 → 3 WHEN synthesized THEN a ConfigMap, ServiceAccount and Job named <cluster>-drain-5-to-3 in the operator namespace, all valid', () => {
    const { objects } = synthJob();
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap restate-operator/restate-prod-drain-5-to-3',
      'ServiceAccount restate-operator/restate-prod-drain-5-to-3',
      'Job restate-operator/restate-prod-drain-5-to-3',
    ]);
    expect(validateManifests(objects)).toEqual([]);
  });

  test('GIVEN the Job WHEN read THEN it runs the repository drain.sh byte for byte against restate-0, once, with no API token', () => {
    const { configMap, job } = synthJob();
    expect(configMap.data).toEqual({ 'drain.sh': SCRIPT });
    const pod = job.spec.template.spec;
    const [container] = pod.containers;
    expect(container.command).toEqual(['sh', '/scripts/drain.sh']);
    expect(container.args).toEqual([
      '--from',
      '5',
      '--to',
      '3',
      '--address',
      'http://restate-0.restate-cluster.restate-prod.svc.cluster.local:5122',
      '--deadline',
      '900',
    ]);
    expect(job.spec.backoffLimit).toBe(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.dnsConfig).toEqual({ searches: ['restate-prod.svc.cluster.local'] });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true });
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync' });
  });

  test('GIVEN the drain peer WHEN compared with the Job pods THEN it selects them in the operator namespace', () => {
    const { job } = synthJob();
    const peer = drainPeer('restate-prod', 'restate-operator');
    expect(peer.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'restate-operator' } });
    const labels = job.spec.template.metadata.labels as Record<string, string>;
    expect(Object.entries(peer.podSelector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)).toBe(true);
  });

  test('GIVEN a cluster name too long for the Job name WHEN named THEN it is refused naming the limit', () => {
    expect(() => drainNames('x'.repeat(51), { from: 5, to: 3 })).toThrow(/longer than 63 characters/);
  });
});

describe('the stack while values scaleIn is set', () => {
  let dir: ValuesDir;
  beforeEach(() => {
    dir = new ValuesDir();
  });
  afterEach(() => dir.remove());

  test('GIVEN prod with scaleIn 5 → 3 WHEN synthesized THEN a day-two chart holds the drain Job and the cluster admits its pods on 5122', () => {
    dir.set('environments/prod.yaml', ['scaleIn'], { from: 5, to: 3 });
    const charts = synthTarget(dir, 'prod', 'vultr');
    expect([...charts.keys()]).toEqual(['operator', 'cluster', 'provisioning', 'day-two', 'monitoring']);
    const job = charts.get('day-two')!.find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toBe('restate-prod-drain-5-to-3');
    const cluster = charts.get('cluster')!.find((o) => o.kind === 'RestateCluster')!;
    expect(cluster.spec?.security?.networkPeers?.metrics).toContainEqual(drainPeer('restate-prod', 'restate-operator'));
  });

  test('GIVEN no scaleIn WHEN synthesized THEN no day-two chart and no drain peer', () => {
    const charts = synthTarget(dir, 'prod', 'vultr');
    expect(charts.has('day-two')).toBe(false);
    const cluster = charts.get('cluster')!.find((o) => o.kind === 'RestateCluster')!;
    expect(cluster.spec?.security?.networkPeers?.metrics).not.toContainEqual(drainPeer('restate-prod', 'restate-operator'));
  });
});
