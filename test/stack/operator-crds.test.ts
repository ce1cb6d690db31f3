import { App, Chart, Testing } from 'cdk8s';
import { RestateCluster } from '../../lib/stack/cluster';
import { RestateOperator, type RestateOperatorProps } from '../../lib/stack/operator';
import { readOperatorRelease } from '../../lib/target-folder/operator-release';
import { withHelmStandIn } from '../support/helm-stand-in';
import { expectValidManifests } from '../support/validate';
import { Size, Yaml } from 'cdk8s';
import { buildStack } from '../../lib/stack/stack';
import { loadTargetValues } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

/** Synthesizes the operator alone, in a Chart without a namespace (as the stack does). */
function synthOperator(props: RestateOperatorProps): any[] {
  const chart = new Chart(new App(), 'operator');
  new RestateOperator(chart, 'Operator', props);
  return Testing.synth(chart);
}

const summary = (objects: any[]) => objects.map((o) => [o.kind, o.metadata.name, o.metadata.annotations?.['argocd.argoproj.io/sync-wave']]);
const asFile = (objects: any[]) => objects.map((o) => Yaml.stringify(o)).join('---\n');

describe('the separate CRDs chart of operator 2.8.1', () => {
  test('Argo CD: an Application of the CRDs chart from the operator repository at v2.8.1, one wave before the operator, which skips its own CRDs', () => {
    // WHEN
    const objects = synthOperator({ delivery: 'argocd', version: '2.8.1', crdsVersion: '2.8.1' });
    // THEN
    expect(summary(objects)).toEqual([
      ['Application', 'restate-operator-crds', '-2'],
      ['Application', 'restate-operator', '-1'],
    ]);
    const [crds, operator] = objects;
    expect(crds.spec.source).toEqual({
      repoURL: 'https://github.com/restatedev/restate-operator.git',
      targetRevision: 'v2.8.1',
      path: 'charts/restate-operator-crds',
      helm: { releaseName: 'restate-operator-crds' },
    });
    expect(crds.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    expect(crds.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true']);
    expect(operator.spec.source).toMatchObject({
      targetRevision: '2.8.1',
      helm: { releaseName: 'restate-operator', skipCrds: true, valuesObject: { installCrds: false } },
    });
    expectValidManifests(objects);
    expect(readOperatorRelease(asFile(objects))).toEqual({ operatorVersion: '2.8.1', crdsVersion: '2.8.1' });
  });

  test('Argo CD, step 1 of the upgrade: the 1.7.4 chart without its CRDs beside the 2.8.1 CRDs chart (no installCrds: 1.7.4 has none)', () => {
    const [crds, operator] = synthOperator({ delivery: 'argocd', version: '1.7.4', crdsVersion: '2.8.1' });
    expect(crds.spec.source.targetRevision).toBe('v2.8.1');
    expect(operator.spec.source.helm).toEqual({ releaseName: 'restate-operator', skipCrds: true });
  });

  test('Flux: a GitRepository and HelmRelease of the CRDs chart; the operator HelmRelease depends on it and skips its own CRDs', () => {
    // WHEN
    const objects = synthOperator({ delivery: 'flux', version: '2.8.1', crdsVersion: '2.8.1' });
    // THEN
    expect(objects.map((o) => [o.kind, o.metadata.name])).toEqual([
      ['GitRepository', 'restate-operator-crds'],
      ['HelmRelease', 'restate-operator-crds'],
      ['Namespace', 'restate-operator'],
      ['OCIRepository', 'restate-operator'],
      ['HelmRelease', 'restate-operator'],
    ]);
    const [git, crds, , , operator] = objects;
    expect(git.spec).toMatchObject({ url: 'https://github.com/restatedev/restate-operator', ref: { tag: 'v2.8.1' } });
    // the artifact keeps the chart and the three files its crds/ symlinks point at, nothing else
    expect(git.spec.ignore.split('\n')).toEqual([
      '/*',
      '!/charts/',
      '/charts/*',
      '!/charts/restate-operator-crds/',
      '!/crd/',
      '/crd/*',
      '!/crd/restateclusters.yaml',
      '!/crd/restatedeployments.yaml',
      '!/crd/restatecloudenvironments.yaml',
      '',
    ]);
    expect(crds.spec).toMatchObject({
      chart: {
        spec: {
          chart: './charts/restate-operator-crds',
          sourceRef: { kind: 'GitRepository', name: 'restate-operator-crds', namespace: 'flux-system' },
        },
      },
      install: { crds: 'CreateReplace' },
      upgrade: { crds: 'CreateReplace' },
    });
    expect(operator.spec).toMatchObject({
      dependsOn: [{ name: 'restate-operator-crds', namespace: 'flux-system' }],
      install: { crds: 'Skip' },
      upgrade: { crds: 'Skip' },
      values: { installCrds: false },
    });
    expectValidManifests(objects);
    expect(readOperatorRelease(asFile(objects))).toEqual({ operatorVersion: '2.8.1', crdsVersion: '2.8.1' });
  });

  test('helm: the three CRDs of the 2.8.1 chart first (wave -2), then the operator chart rendered without CRDs', () => {
    // GIVEN helm called twice: the CRDs (--include-crds), then the chart without them and installCrds false
    const objects = withHelmStandIn(
      [{ version: '2.8.1' }, { version: '2.8.1', includeCrds: false, values: { installCrds: false } }],
      (helmExecutable) => synthOperator({ delivery: 'helm', version: '2.8.1', crdsVersion: '2.8.1', helmExecutable }),
    );
    // THEN
    expect(summary(objects).slice(0, 5)).toEqual([
      ['CustomResourceDefinition', 'restateclusters.restate.dev', '-2'],
      ['CustomResourceDefinition', 'restatedeployments.restate.dev', '-2'],
      ['CustomResourceDefinition', 'restatecloudenvironments.restate.dev', '-2'],
      ['Namespace', 'restate-operator', '-1'],
      ['ServiceAccount', 'restate-operator', '-1'],
    ]);
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(3);
    // the chart's namespaced Role and RoleBinding land in the operator namespace
    expect(objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding').map((o) => o.metadata.namespace)).toEqual([
      'restate-operator',
      'restate-operator',
    ]);
    expectValidManifests(objects);
    expect(readOperatorRelease(asFile(objects))).toEqual({ operatorVersion: '2.8.1', crdsVersion: '2.8.1' });
  });
});

describe('RestateCluster for operator 2.8.1', () => {
  const synth = (props: Partial<ConstructorParameters<typeof RestateCluster>[2]>) => {
    const chart = Testing.chart();
    new RestateCluster(chart, 'Cluster', {
      name: 'restate-dev',
      image: 'restatedev/restate:1.4',
      storageRequest: Size.gibibytes(1),
      config: 'auto-provision = false\n',
      ...props,
    });
    return Testing.synth(chart);
  };

  test('writes spec.cluster.autoProvision and the topology spread constraints, valid against the 2.8.1 CRD', () => {
    const spread = [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { a: 'b' } },
      },
    ];
    const [cluster] = synth({ operatorVersion: '2.8.1', autoProvision: true, topologySpreadConstraints: spread });
    expect(cluster.spec.cluster).toEqual({ autoProvision: true });
    expect(cluster.spec.compute.topologySpreadConstraints).toEqual(spread);
    expectValidManifests([cluster], { operatorVersion: '2.8.1' });
  });

  test('refuses the 2.8.1 fields for a cluster reconciled by operator 1.7.4', () => {
    expect(() => synth({ autoProvision: true })).toThrow(
      'RestateCluster: autoProvision and topologySpreadConstraints need operatorVersion 2.8.1',
    );
  });
});

describe('the stack passes clusterDomain to chart 2.8.1', () => {
  test('a cluster domain other than cluster.local becomes the chart value clusterDns with operator 2.8.1 only', () => {
    // GIVEN dev on vultr with another DNS domain, on either operator
    const dir = new ValuesDir();
    try {
      dir.set('environments/dev.yaml', ['clusterDomain'], 'corp.internal');
      const operatorApp = (version: string) => {
        dir.set('environments/dev.yaml', ['operator', 'version'], version);
        const app = Testing.app();
        buildStack(app, loadTargetValues(dir.path, 'dev', 'vultr').values);
        return Testing.synth(app.node.findChild('operator') as Chart).find((o: any) => o.metadata.name === 'restate-operator');
      };
      // THEN
      expect(operatorApp('2.8.1').spec.source.helm.valuesObject).toEqual({ installCrds: false, clusterDns: 'corp.internal' });
      expect(operatorApp('1.7.4').spec.source.helm.valuesObject).toBeUndefined();
    } finally {
      dir.remove();
    }
  });
});
