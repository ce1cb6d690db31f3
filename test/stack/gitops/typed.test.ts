import { Testing } from 'cdk8s';
import { Application } from '../../../imports/argoproj.io';
import { HelmRelease } from '../../../imports/helm.toolkit.fluxcd.io';
import { Kustomization } from '../../../imports/kustomize.toolkit.fluxcd.io';

describe('the Argo CD and Flux objects are typed from their upstream CRDs', () => {
  test('a misspelt field fails to compile (npm run typecheck), and would not reach the output', () => {
    // GIVEN objects of the imported classes, each with one misspelt field
    const chart = Testing.chart();
    new Application(chart, 'application', {
      metadata: { name: 'a', namespace: 'argocd' },
      spec: {
        project: 'restate-stack',
        destination: { server: 'https://kubernetes.default.svc' },
        // @ts-expect-error the class spells the field repoUrl (it writes repoURL); repoURL here is unknown
        source: { repoURL: 'https://example.com/repo.git', path: 'dist' },
      },
    });
    new Kustomization(chart, 'kustomization', {
      metadata: { name: 'k', namespace: 'flux-system' },
      // @ts-expect-error dependOn is not a field of KustomizationSpec (dependsOn is)
      spec: { interval: '1h', prune: true, sourceRef: { kind: 'GitRepository' as never, name: 'flux-system' }, dependOn: [{ name: 'x' }] },
    });
    new HelmRelease(chart, 'release', {
      metadata: { name: 'r', namespace: 'flux-system' },
      // @ts-expect-error targetNamspace is not a field of HelmReleaseSpec
      spec: { interval: '1h', targetNamspace: 'restate-operator' },
    });
    // WHEN synthesized
    const [application, kustomization, release] = Testing.synth(chart);
    // THEN the generated serializers drop what they do not know: nothing misspelt reaches the YAML
    expect(application.spec.source).toEqual({ path: 'dist' });
    expect(kustomization.spec).not.toHaveProperty('dependOn');
    expect(release.spec).toEqual({ interval: '1h' });
  });
});
