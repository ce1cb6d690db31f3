/**
 * Installs CustomResourceDefinitions on a test control plane, as an operator's chart or a GitOps tool's install
 * does before anything uses them: server-side apply, then wait until the server serves each kind.
 * Takes the CRD objects themselves (e.g. those generated into imports/crds/).
 */
import type { ControlPlane } from './harness';

/** The part of a CRD object read here. */
export interface CrdObject {
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
}

export async function installCrds(cp: ControlPlane, crds: readonly CrdObject[]): Promise<void> {
  const wrong = crds.filter((crd) => crd.kind !== 'CustomResourceDefinition' || !crd.metadata?.name);
  if (wrong.length > 0)
    throw new Error(`installCrds takes named CustomResourceDefinitions only, got ${wrong.map((o) => o.kind).join(', ')}`);
  const list = { apiVersion: 'v1', kind: 'List', items: crds };
  await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack-test', '-f', '-'], { input: JSON.stringify(list) });
  await cp.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((crd) => `crd/${crd.metadata!.name}`)], {
    timeoutMs: 90_000,
  });
}
