/**
 * Stand-in for Argo CD syncing the operator Application that `deploy:promote` applies (0000-operator.k8s.yaml, the
 * argocd delivery): the chart's objects reach the cluster through the API, with no Argo CD process.
 *
 * Derived from argo-cd v3.5.1 (the CRDs of imports/crds): the repo-server renders a Helm source with `helm template`
 * (reposerver/repository/repository.go, helmTemplate: release name from `spec.source.helm.releaseName`, namespace
 * from `spec.destination.namespace`, `--include-crds`); the application controller creates the destination namespace
 * for `CreateNamespace=true` and, with `ServerSideApply=true`, applies every object server-side under field manager
 * `argocd-controller` with conflicts forced (gitops-engine pkg/sync). The chart is the one of the Application's
 * `targetRevision`, rendered by the helm stand-in (test/fixtures/helm: chart restatedev/restate-operator's templates
 * at that tag), with its CRDs replaced by the real ones of that version (imports/crds).
 *
 * Then the real Deployment and ReplicaSet controllers create the operator's pod, and the kubelet stand-in
 * (./kubelet-stand-in.ts) makes it Ready: the Deployment's Available condition is written by the real controller.
 *
 * Left unproven: Argo CD's sync waves, hooks, retries, health checks and self-heal; the chart's own templates (the
 * stand-in's render is an approximation, see test/fixtures/helm); chart values (`spec.source.helm.values*`: none of
 * the tests' targets sets any); the operator's separate CRDs Application (operator 2.8.1 with `crdsVersion`).
 */
import { spawnSync } from 'node:child_process';
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import { OPERATOR_CHART_NAME } from '../../lib/target-folder/operator-names';
import { withHelmStandIn } from '../support/helm-stand-in';
import type { ControlPlane } from '../../lib/control-plane/harness';
import { installCrds, type CrdObject } from '../../lib/control-plane/install-crds';
import { ARGOCD_MANAGER, type Obj, yamlText } from './target-cluster';

const CRDS: Record<string, readonly CrdObject[]> = {
  '1.7.4': restate174 as readonly CrdObject[],
  '2.8.1': restate281 as readonly CrdObject[],
};

/** The chart's objects for an operator Application, as the repo-server renders them (CRDs left out). */
export function renderOperatorApplication(application: Obj): Obj[] {
  const { source, destination } = application.spec;
  const release = source.helm?.releaseName ?? application.metadata.name;
  const args = ['template', '--version', source.targetRevision, '--namespace', destination.namespace, '--include-crds', release];
  const expectations = { version: String(source.targetRevision), namespace: destination.namespace, release };
  const run = withHelmStandIn(expectations, (helm) =>
    spawnSync(helm, [...args, `oci://${source.repoURL}/${source.chart}`], { encoding: 'utf8' }),
  );
  if (run.status !== 0) throw new Error(`helm stand-in: ${run.stderr}`);
  return yamlText(run.stdout).filter((object) => object.kind !== 'CustomResourceDefinition');
}

/** One pass: every operator Application in `argocdNamespace` not synced at its current generation is synced. */
export async function argocdPass(cp: ControlPlane, argocdNamespace: string, synced: Map<string, number>): Promise<void> {
  const listed = await cp.kubectl(['-n', argocdNamespace, 'get', 'applications', '-o', 'json'], { check: false });
  if (listed.code !== 0) return;
  for (const application of JSON.parse(listed.stdout).items as Obj[]) {
    if (application.spec.source?.chart !== OPERATOR_CHART_NAME) continue;
    const key = application.metadata.uid;
    if (synced.get(key) === application.metadata.generation) continue;
    const version = String(application.spec.source.targetRevision);
    const crds = CRDS[version];
    if (!crds) throw new Error(`argocd stand-in: no CRDs for operator ${version}`);
    const namespace = application.spec.destination.namespace;
    const ssa = ['apply', '--server-side', `--field-manager=${ARGOCD_MANAGER}`, '--force-conflicts', '-f', '-'];
    if ((application.spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true'))
      await cp.kubectl(ssa, { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }) });
    await installCrds(cp, crds);
    const objects = renderOperatorApplication(application).map((object) =>
      // Argo CD sets the destination namespace on namespaced objects the chart leaves without one.
      object.kind.startsWith('Cluster') ? object : { ...object, metadata: { namespace, ...object.metadata } },
    );
    await cp.kubectl(ssa, { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    synced.set(key, application.metadata.generation);
  }
}
