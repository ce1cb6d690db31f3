import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os = require('node:os');
import { join } from 'node:path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { HelmRenderError, placeInNamespace, RestateOperator, type RestateOperatorProps } from '../../lib/stack/operator';
import { type HelmStandInExpectations, withHelmStandIn } from '../support/helm-stand-in';
import { expectValidManifests } from '../support/validate';

/** Synthesizes the operator alone, in a Chart without a namespace (as the stack does). */
function synthOperator(props: RestateOperatorProps): any[] {
  const chart = new Chart(new App(), 'operator');
  new RestateOperator(chart, 'Operator', props);
  return Testing.synth(chart);
}

/** The PodSecurity labels of the operator's namespace at the default level. */
const BASELINE_LABELS = {
  'pod-security.kubernetes.io/enforce': 'baseline',
  'pod-security.kubernetes.io/audit': 'baseline',
  'pod-security.kubernetes.io/warn': 'baseline',
};

const summary = (objects: any[]) => objects.map((o) => [o.kind, o.metadata.name, o.metadata.namespace]);

describe('RestateOperator delivered by helm (rendered at synth time)', () => {
  const helm = (props: RestateOperatorProps = {}, expectations: HelmStandInExpectations = {}) =>
    withHelmStandIn(expectations, (helmExecutable) => synthOperator({ delivery: 'helm', helmExecutable, ...props }));

  test('emits the operator Namespace, the CRDs and the chart objects, each namespaced object in the operator namespace', () => {
    // GIVEN the default props WHEN synthesized
    const objects = helm();
    // THEN namespaced objects carry the operator namespace, cluster-scoped ones none
    expect(summary(objects)).toEqual([
      ['Namespace', 'restate-operator', undefined],
      ['CustomResourceDefinition', 'restateclusters.restate.dev', undefined],
      ['CustomResourceDefinition', 'restatedeployments.restate.dev', undefined],
      ['ServiceAccount', 'restate-operator', 'restate-operator'],
      ['ClusterRole', 'restate-operator', undefined],
      ['ClusterRoleBinding', 'restate-operator', undefined],
      ['Service', 'restate-operator', 'restate-operator'],
      ['Deployment', 'restate-operator', 'restate-operator'],
    ]);
    // AND the Namespace holds the pods to the baseline Pod Security Standard (docs/pod-security.md)
    expect(objects[0].metadata.labels).toEqual(BASELINE_LABELS);
    expectValidManifests(objects);
    expect(objects).toMatchSnapshot();
  });

  test('marks every object Argo CD sync wave -1, and keeps Argo CD from pruning or deleting the CRDs', () => {
    // WHEN
    const objects = helm();
    // THEN
    for (const object of objects) expect(object.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds).toHaveLength(2);
    for (const crd of crds) {
      expect(crd.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false,ServerSideApply=true');
    }
  });

  test('passes the chart values to helm as a values file', () => {
    // GIVEN values, which the stand-in checks against the file it receives
    const chartValues = { replicaCount: 2, logging: { env_filter: 'restate_operator=debug' }, image: { pullPolicy: 'Always' as const } };
    // WHEN
    const objects = helm({ chartValues }, { values: chartValues });
    // THEN the render reflects them
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0].env).toEqual([{ name: 'RUST_LOG', value: 'restate_operator=debug' }]);
    expect(deployment.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });

  test('renders into another namespace and release name when asked', () => {
    // WHEN
    const objects = helm({ namespace: 'ops', releaseName: 'op' }, { namespace: 'ops', release: 'op' });
    // THEN
    expect(summary(objects).filter(([, , namespace]) => namespace !== undefined)).toEqual([
      ['ServiceAccount', 'restate-operator', 'ops'],
      ['Service', 'restate-operator', 'ops'],
      ['Deployment', 'restate-operator', 'ops'],
    ]);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'ops' } });
    expect(objects.find((o) => o.kind === 'ClusterRoleBinding').subjects[0].namespace).toBe('ops');
  });

  test('without helm, fails with an error that names the deliveries that need no helm', () => {
    // GIVEN a helm program that is nowhere on PATH
    const missing = 'restate-stack-no-such-helm';
    // WHEN / THEN
    const synth = () => helm({ helmExecutable: missing });
    expect(synth).toThrow(HelmRenderError);
    expect(synth).toThrow(
      `operator.delivery: helm renders the operator chart at synth time and needs the helm CLI, but '${missing}' could not be ` +
        'executed (not installed or not on PATH). Install helm 3.8 or later, or choose a delivery that synthesizes offline ' +
        'and lets the cluster fetch the chart: operator.delivery: argocd or operator.delivery: flux.',
    );
  });

  test('surfaces helm failures: the stand-in refuses a chart version other than 1.7.4', () => {
    // WHEN helm is asked for another version THEN its stderr is part of the error
    expect(() => helm({ version: '1.7.5' })).toThrow(
      /^helm template oci:\/\/ghcr\.io\/restatedev\/restate-operator-helm --version 1\.7\.5 failed: helm stand-in: unexpected arguments\n.*"--version","1\.7\.5"/s,
    );
  });

  test('the stand-in refuses values that differ from what the test expects, and values it did not expect', () => {
    expect(() => helm({ chartValues: { replicaCount: 2 } }, { values: { replicaCount: 3 } })).toThrow(
      /helm stand-in: unexpected values in /,
    );
    expect(() => helm({ chartValues: { replicaCount: 2 } })).toThrow(/helm stand-in: unexpected arguments/);
  });

  test('leaves no temporary files behind', () => {
    // GIVEN os.tmpdir() pointing at an empty folder of our own
    const scratch = mkdtempSync(join(os.tmpdir(), 'operator-test-tmp-'));
    const spy = jest.spyOn(os, 'tmpdir').mockReturnValue(scratch);
    try {
      // WHEN rendering with values (cdk8s writes a values file and the render into a temp folder)
      const objects = helm({ chartValues: { replicaCount: 2 } }, { values: { replicaCount: 2 } });
      // THEN the render happened, and nothing is left in the folder
      expect(objects.find((o) => o.kind === 'Deployment').spec.replicas).toBe(2);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      spy.mockRestore();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('RestateOperator delivered by Argo CD', () => {
  test('is one Application that installs the pinned OCI chart, creating its namespace and applying server-side', () => {
    // WHEN
    const objects = synthOperator({ delivery: 'argocd' });
    // THEN
    expect(objects).toHaveLength(1);
    const [application] = objects;
    expect(application.metadata).toEqual({
      name: 'restate-operator',
      namespace: 'argocd',
      annotations: { 'argocd.argoproj.io/sync-wave': '-1' },
    });
    expect(application.spec).toEqual({
      project: 'default',
      source: {
        repoURL: 'ghcr.io/restatedev',
        chart: 'restate-operator-helm',
        targetRevision: '1.7.4',
        helm: { releaseName: 'restate-operator' },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'restate-operator' },
      syncPolicy: {
        automated: { prune: false, selfHeal: true },
        syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
        managedNamespaceMetadata: { labels: BASELINE_LABELS },
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    });
    expectValidManifests(objects);
    expect(objects).toMatchSnapshot();
  });

  test('is the default delivery', () => {
    expect(synthOperator({}).map((o) => o.kind)).toEqual(['Application']);
  });

  test('passes chart values as valuesObject and honours the Argo CD namespace, project and operator namespace', () => {
    // WHEN
    const [application] = synthOperator({
      delivery: 'argocd',
      namespace: 'ops',
      releaseName: 'op',
      chartValues: { replicaCount: 2 },
      argocd: { namespace: 'gitops', project: 'platform' },
    });
    // THEN
    expect(application.metadata.name).toBe('op');
    expect(application.metadata.namespace).toBe('gitops');
    expect(application.spec.project).toBe('platform');
    expect(application.spec.destination.namespace).toBe('ops');
    expect(application.spec.source.helm).toEqual({ releaseName: 'op', valuesObject: { replicaCount: 2 } });
    expectValidManifests([application]);
  });
});

describe('RestateOperator delivered by Flux', () => {
  test('is the labelled operator Namespace, an OCIRepository for the pinned chart and a HelmRelease that installs it with its CRDs', () => {
    // WHEN
    const objects = synthOperator({ delivery: 'flux' });
    // THEN
    expect(summary(objects)).toEqual([
      ['Namespace', 'restate-operator', undefined],
      ['OCIRepository', 'restate-operator', 'flux-system'],
      ['HelmRelease', 'restate-operator', 'flux-system'],
    ]);
    const [namespace, repository, release] = objects;
    // the HelmRelease's createNamespace makes no labels: the Namespace carries them, and Flux never prunes it
    expect(namespace.metadata).toEqual({
      name: 'restate-operator',
      labels: BASELINE_LABELS,
      annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' },
    });
    expect(repository.apiVersion).toBe('source.toolkit.fluxcd.io/v1');
    expect(repository.spec).toEqual({
      interval: '1h',
      url: 'oci://ghcr.io/restatedev/restate-operator-helm',
      ref: { tag: '1.7.4' },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
    });
    expect(release.apiVersion).toBe('helm.toolkit.fluxcd.io/v2');
    expect(release.spec).toEqual({
      interval: '1h',
      chartRef: { kind: 'OCIRepository', name: 'restate-operator', namespace: 'flux-system' },
      releaseName: 'restate-operator',
      targetNamespace: 'restate-operator',
      install: { createNamespace: true, crds: 'CreateReplace' },
      upgrade: { crds: 'CreateReplace' },
    });
    for (const object of [repository, release]) expect(object.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
    expectValidManifests(objects);
    expect(objects).toMatchSnapshot();
  });

  test('passes chart values and honours the Flux namespace and interval', () => {
    // WHEN
    const objects = synthOperator({
      delivery: 'flux',
      namespace: 'ops',
      chartValues: { serviceMonitor: { enabled: true } },
      flux: { namespace: 'gitops', interval: '10m' },
    });
    // THEN
    const [namespace, repository, release] = objects;
    expect(namespace.metadata.name).toBe('ops');
    expect(repository.metadata.namespace).toBe('gitops');
    expect(repository.spec.interval).toBe('10m');
    expect(release.metadata.namespace).toBe('gitops');
    expect(release.spec.interval).toBe('10m');
    expect(release.spec.chartRef.namespace).toBe('gitops');
    expect(release.spec.targetNamespace).toBe('ops');
    expect(release.spec.values).toEqual({ serviceMonitor: { enabled: true } });
    expectValidManifests(objects);
  });
});

describe('RestateOperator props', () => {
  test('refuses a version range, a chart that is not an OCI reference, and a Chart with a namespace', () => {
    expect(() => synthOperator({ version: '^1.7.0' })).toThrow('operator chart version "^1.7.0" must be an exact version such as 1.7.4');
    expect(() => synthOperator({ chart: 'restatedev/restate-operator-helm' })).toThrow(
      'operator chart "restatedev/restate-operator-helm" is not an OCI chart reference of the form oci://<registry>/<path>/<chart>',
    );
    const namespaced = new Chart(new App(), 'operator', { namespace: 'somewhere' });
    expect(() => new RestateOperator(namespaced, 'Operator')).toThrow(
      'RestateOperator sets each object\'s namespace itself; put it in a Chart without a namespace (this one has "somewhere")',
    );
  });
});

describe("RestateOperator's namespace and the Pod Security Standards", () => {
  const restricted = {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/warn': 'restricted',
  };

  test('every delivery labels the operator namespace with the level asked for: enforce, audit and warn alike', () => {
    // GIVEN podSecurityLevel restricted
    const props: RestateOperatorProps = { podSecurityLevel: 'restricted', namespace: 'ops' };
    // WHEN synthesized through each delivery
    const [application] = synthOperator({ ...props, delivery: 'argocd' });
    const [fluxNamespace] = synthOperator({ ...props, delivery: 'flux' });
    const [helmNamespace] = withHelmStandIn({ namespace: 'ops' }, (helmExecutable) =>
      synthOperator({ ...props, delivery: 'helm', helmExecutable }),
    );
    // THEN Argo CD gets them as managedNamespaceMetadata (it creates the namespace), Flux and helm on the Namespace
    expect(application.spec.syncPolicy.managedNamespaceMetadata).toEqual({ labels: restricted });
    expect(application.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
    expect(fluxNamespace).toMatchObject({ kind: 'Namespace', metadata: { name: 'ops', labels: restricted } });
    expect(helmNamespace).toMatchObject({ kind: 'Namespace', metadata: { name: 'ops', labels: restricted } });
    expectValidManifests([application, fluxNamespace, helmNamespace]);
  });
});

describe('placeInNamespace', () => {
  test('adds the namespace to namespaced objects without one, keeps a chosen one, and strips it from cluster-scoped ones', () => {
    // GIVEN objects as a chart might render them
    const chart = new Chart(new App(), 'c');
    const objects = [
      new ApiObject(chart, 'a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }),
      new ApiObject(chart, 'b', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'chosen' } }),
      new ApiObject(chart, 'c', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'c', namespace: 'x' },
      }),
    ];
    // WHEN
    for (const object of objects) placeInNamespace(object, 'ops');
    // THEN
    expect(summary(Testing.synth(chart))).toEqual([
      ['ConfigMap', 'a', 'ops'],
      ['ConfigMap', 'b', 'chosen'],
      ['ClusterRole', 'c', undefined],
    ]);
  });
});
