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
  const names = crds.map((crd) => `crd/${crd.metadata!.name}`);
  // kubectl's condition wait fails at once on a CRD whose status.conditions is still null (created a moment ago,
  // before the API server's first status write): look again, as promote does (lib/deploy/session.ts).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const run = await cp.kubectl(['wait', '--for=condition=Established', `--timeout=${left}s`, ...names], {
      timeoutMs: left * 1000 + 30_000,
      check: false,
    });
    if (run.code === 0) return;
    if (!/status\.conditions accessor error: <nil>/.test(run.stderr) || Date.now() >= deadline)
      throw new Error(`kubectl wait --for=condition=Established ${names.join(' ')}: exit status ${run.code}\n${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
