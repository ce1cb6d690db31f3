import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { fluxSteps, gitOpsFiles, type SynthesizedTarget } from '../../../lib/stack/gitops/output';
import { runSynth } from '../../../lib/synth/run';
import { loadTargetValues, type StackValues, ValuesError } from '../../../lib/values';
import { loadManifests } from '../../support/gitops-world';
import { expectValidManifests } from '../../support/validate';
import { FIXTURE_VALUES, ValuesDir } from '../../support/values-dir';

// Every target of the tests' values, synthesized once (the user's own dist/ is checked by test/synth/user-targets.test.ts).
const DIST = mkdtempSync(join(tmpdir(), 'restate-stack-gitops-output-'));
runSynth({ valuesDir: FIXTURE_VALUES, outdir: DIST, allowStorageChange: false });
afterAll(() => rmSync(DIST, { recursive: true, force: true }));

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const gitOpsObjectFiles = () =>
  filesUnder(DIST).filter(
    (file) => /\/(argocd|flux)\//.test(file) && !file.endsWith('kustomization.yaml') && !file.endsWith('secret-generator.yaml'),
  );

describe("the GitOps entries of the tests' targets", () => {
  test('every object in them is valid against its upstream schema (the Argo CD and Flux CRDs, Kubernetes)', () => {
    const files = gitOpsObjectFiles();
    expect(files.map((f) => relative(DIST, f)).sort()).toEqual([
      'dev/kind/flux/kustomizations.yaml',
      'dev/vultr/argocd/application.yaml',
      'dev/vultr/argocd/appproject.yaml',
      'dev/vultr/argocd/patches/argocd-cm.yaml',
      'prod/aws/argocd/application.yaml',
      'prod/aws/argocd/appproject.yaml',
      'prod/aws/argocd/patches/argocd-cm.yaml',
      'prod/vultr/argocd/application.yaml',
      'prod/vultr/argocd/appproject.yaml',
      'prod/vultr/argocd/patches/argocd-cm.yaml',
      'staging/vultr/argocd/application.yaml',
      'staging/vultr/argocd/appproject.yaml',
      'staging/vultr/argocd/patches/argocd-cm.yaml',
    ]);
    expectValidManifests(files.flatMap(loadManifests));
  });

  test('the AppProject of prod/aws allows exactly its sources, destinations and kinds', () => {
    const [project] = loadManifests(join(DIST, 'prod/aws/argocd/appproject.yaml'));
    expect(project!.spec.sourceRepos).toEqual(['ghcr.io/restatedev', 'https://github.com/example/platform-gitops.git']);
    expect(project!.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual(['argocd', 'monitoring', 'restate-operator']);
    const kinds = (list: Array<{ group: string; kind: string }>) => list.map((k) => `${k.group}/${k.kind}`);
    expect(kinds(project!.spec.clusterResourceWhitelist)).toEqual([
      '/Namespace',
      'apiextensions.k8s.io/CustomResourceDefinition',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
      'restate.dev/RestateCluster',
    ]);
    expect(kinds(project!.spec.namespaceResourceWhitelist)).toEqual([
      '/ConfigMap',
      '/Service',
      '/ServiceAccount',
      'apps/Deployment',
      'argoproj.io/Application',
      'batch/Job',
      'monitoring.coreos.com/PodMonitor',
      'monitoring.coreos.com/PrometheusRule',
      'monitoring.coreos.com/ServiceMonitor',
    ]);
    // nothing it deploys is outside the project: every object of the target folder has its kind listed
    const objects = readdirSync(join(DIST, 'prod/aws'))
      .filter((f) => f.endsWith('.k8s.yaml'))
      .flatMap((f) => loadManifests(join(DIST, 'prod/aws', f)));
    const allowed = new Set([...kinds(project!.spec.clusterResourceWhitelist), ...kinds(project!.spec.namespaceResourceWhitelist)]);
    for (const o of objects) expect(allowed).toContain(`${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}`);
  });

  test('the target Application reads its folder, not recursively, in the project, with retries, and is named after the cluster', () => {
    const [app] = loadManifests(join(DIST, 'prod/vultr/argocd/application.yaml'));
    expect(app!.metadata).toEqual({ name: 'restate-prod', namespace: 'argocd' });
    expect(app!.spec.source).toEqual({
      repoURL: 'https://github.com/example/platform-gitops.git',
      targetRevision: 'HEAD',
      path: 'dist/prod/vultr',
      directory: { recurse: false },
    });
    expect(app!.spec.project).toBe('restate-stack');
    expect(app!.spec.syncPolicy.retry.limit).toBeGreaterThan(0);
    // the RestateCluster carries the tracking id this Application will give it
    const [cluster] = loadManifests(join(DIST, 'prod/vultr/0001-cluster.k8s.yaml'));
    expect(cluster!.metadata.annotations['argocd.argoproj.io/tracking-id']).toBe('restate-prod:restate.dev/RestateCluster:/restate-prod');
  });

  test('the argocd-cm patch holds exactly the two health checks, as Lua, and no other key', () => {
    const [patch] = loadManifests(join(DIST, 'dev/vultr/argocd/patches/argocd-cm.yaml'));
    expect(Object.keys(patch!.data).sort()).toEqual([
      'resource.customizations.health.argoproj.io_Application',
      'resource.customizations.health.restate.dev_RestateCluster',
    ]);
    expect(patch!.data['resource.customizations.health.restate.dev_RestateCluster']).toBe(
      readFileSync(join(__dirname, '../../../lib/stack/gitops/restate-cluster-health.lua'), 'utf8'),
    );
  });

  test('the Flux entry folder lists only its Kustomizations, and the cluster step never prunes', () => {
    expect(parse(readFileSync(join(DIST, 'dev/kind/flux/kustomization.yaml'), 'utf8'))).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['kustomizations.yaml'],
    });
    const byName = Object.fromEntries(loadManifests(join(DIST, 'dev/kind/flux/kustomizations.yaml')).map((k) => [k.metadata.name, k.spec]));
    expect(byName['restate-dev-cluster'].prune).toBe(false);
    expect(byName['restate-dev-credentials'].decryption).toEqual({ provider: 'sops', secretRef: { name: 'sops-age' } });
    expect(byName['restate-dev-operator'].dependsOn).toBeUndefined();
    expect(byName['restate-dev-provisioning'].dependsOn).toEqual([{ name: 'restate-dev-credentials' }]);
    const [cluster] = loadManifests(join(DIST, 'dev/kind/0001-cluster.k8s.yaml'));
    expect(cluster!.metadata.labels).toEqual({
      'kustomize.toolkit.fluxcd.io/name': 'restate-dev-cluster',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
    });
  });
});

describe('a scale-in under Flux', () => {
  test('the drain Job gets its own step after provisioning, healthy once the Job completed', () => {
    // GIVEN prod/vultr under Flux in the first commit of a scale-in 5 → 3 (scaleIn set, replicas still 5)
    const loaded = loadTargetValues(FIXTURE_VALUES, 'prod', 'vultr').values;
    const values = { ...loaded, scaleIn: { from: 5, to: 3 }, operator: { ...loaded.operator, delivery: 'flux' } } as StackValues;
    const target: SynthesizedTarget = {
      values,
      folder: 'prod/vultr',
      chartFiles: new Map([
        ['operator', '0000-operator.k8s.yaml'],
        ['cluster', '0001-cluster.k8s.yaml'],
        ['provisioning', '0002-provisioning.k8s.yaml'],
        ['day-two', '0003-day-two.k8s.yaml'],
      ]),
      sopsSecret: false,
      objects: [{ apiVersion: 'restate.dev/v1', kind: 'RestateCluster' }],
    };
    // WHEN its Flux steps are written
    const steps = fluxSteps(target);
    // THEN the day-two step applies the drain file after provisioning and waits for the drain Job
    expect(steps.map((s) => s.step)).toEqual(['operator', 'cluster', 'provisioning', 'day-two']);
    const dayTwo = steps[3]!;
    expect(dayTwo.files).toEqual(['0003-day-two.k8s.yaml']);
    expect(dayTwo.force).toBe(true);
    expect(dayTwo.healthChecks).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: 'restate-prod-drain-5-to-3', namespace: 'restate-operator' },
    ]);
  });
});

describe('the destination cluster', () => {
  const target = (values: StackValues): SynthesizedTarget => ({
    values,
    folder: 'staging/vultr',
    chartFiles: new Map([
      ['operator', '0000-operator.k8s.yaml'],
      ['cluster', '0001-cluster.k8s.yaml'],
    ]),
    sopsSecret: false,
    objects: [{ apiVersion: 'restate.dev/v1', kind: 'RestateCluster' }],
  });

  test('is a value per environment, used by the Application and the AppProject (helm delivery)', () => {
    // GIVEN staging on another cluster, with the rendered chart (helm delivery)
    const loaded = loadTargetValues(FIXTURE_VALUES, 'staging', 'vultr').values;
    const values = {
      ...loaded,
      operator: {
        ...loaded.operator,
        delivery: 'helm',
        argocd: { ...loaded.operator.argocd, destinationServer: 'https://staging.example.com:6443' },
      },
    } as StackValues;
    // WHEN the GitOps entries are written
    const files = Object.fromEntries(gitOpsFiles(target(values)).map((f) => [f.path, parseAll(f.text)]));
    // THEN both name that server
    expect(files['argocd/application.yaml']![0].spec.destination).toEqual({
      server: 'https://staging.example.com:6443',
      namespace: 'restate-operator',
    });
    expect(
      files['argocd/appproject.yaml']![0].spec.destinations.every(
        (d: { server: string }) => d.server === 'https://staging.example.com:6443',
      ),
    ).toBe(true);
  });

  test('other than the in-cluster one is refused with the argocd delivery, naming the key and the way out', () => {
    const values = new ValuesDir().set(
      'environments/staging.yaml',
      ['operator', 'argocd', 'destinationServer'],
      'https://staging.example.com:6443',
    );
    try {
      expect(() => loadTargetValues(values.path, 'staging', 'vultr')).toThrow(ValuesError);
      expect(() => loadTargetValues(values.path, 'staging', 'vultr')).toThrow(
        /operator\.argocd\.destinationServer: must be https:\/\/kubernetes\.default\.svc with operator\.delivery: argocd.*use operator\.delivery: helm/,
      );
    } finally {
      values.remove();
    }
  });
});

function parseAll(text: string): any[] {
  return text
    .split(/^---$/m)
    .map((doc) => parse(doc))
    .filter(Boolean);
}
