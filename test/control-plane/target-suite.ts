/**
 * The tests of one target on its own control plane (one per test file, so jest runs targets in parallel):
 * the target as synthesized from the tests' values applies and re-applies as a no-op, and every change the docs describe applies on top of it
 * through promote and through the target's GitOps tool, or synth refuses it before anything is applied.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import { loadTargetValues } from '../../lib/values';
import { fixtureDist } from '../support/fixture-dist';
import { FIXTURE_VALUES } from '../support/values-dir';
import type { ControlPlane, StartOptions } from '../../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../../lib/control-plane/install-crds';
import {
  applyTarget,
  applyToolFolder,
  type Delivery,
  deliveredObjects,
  diffTarget,
  diffToolFolder,
  lostFieldsOf,
  numberedFiles,
  prepareCluster,
  removeTarget,
  type TargetFacts,
  targetFacts,
  toolFolderObjects,
  yamlObjects,
} from './target-cluster';
import { CHANGES, ChangeWorkspace } from './target-changes';

/** @param start - the harness's startControlPlane (named in the test file, where jest's global setup looks for it) */
export function describeTarget(environment: string, provider: string, start: (options?: StartOptions) => Promise<ControlPlane>): void {
  const facts: TargetFacts = targetFacts(FIXTURE_VALUES, environment, provider);
  // The target as synth writes it from the tests' values (the user's dist/ follows the user's values).
  const committed = join(fixtureDist(), environment, provider);
  const deliveries: Delivery[] = ['promote', facts.tool];

  describe(`${environment}/${provider} on a real API server`, () => {
    let cp: ControlPlane;
    let crdsInstalled = facts.crdsVersion;

    /** The restate.dev CRDs of a version, as the operator's chart or the CRDs chart installs them. */
    async function restateCrds(version: string): Promise<void> {
      if (version === crdsInstalled) return;
      await installCrds(cp, (version === '2.8.1' ? restate281 : restate174) as readonly CrdObject[]);
      crdsInstalled = version;
    }

    beforeAll(async () => {
      cp = await start();
      await prepareCluster(cp, facts);
    }, 120_000);

    afterAll(async () => {
      await cp?.stop();
    }, 60_000);

    test('the committed target applies as the docs say, every field comes back as written, and a second apply changes nothing', async () => {
      // GIVEN the target's CRDs and namespaces (prepareCluster) and its committed folder
      // WHEN its numbered files are applied in order as deploy:promote does, and its argocd/ or flux/ entry as
      // docs/gitops.md says
      await applyTarget(cp, committed, 'promote');
      await applyToolFolder(cp, committed, facts.tool);

      // THEN every field written is in the cluster with the value written
      const written = [...numberedFiles(committed).flatMap(yamlObjects), ...(await toolFolderObjects(cp, committed, facts.tool))];
      expect(written.length).toBeGreaterThan(1);
      expect(await lostFieldsOf(cp, written)).toEqual([]);

      // AND kubectl diff finds nothing to change, per file and for the tool's entry
      const diffs = [...(await diffTarget(cp, committed, 'promote')), await diffToolFolder(cp, committed, facts.tool)];
      expect(diffs.map((d) => [d.code, d.stdout, d.stderr])).toEqual(diffs.map(() => [0, '', '']));
    }, 60_000);

    if (facts.tool === 'argocd') {
      test("the health checks patch merges into Argo CD's argocd-cm with the command docs/gitops.md gives", async () => {
        // GIVEN argocd-cm as Argo CD's install makes it (one key of its own)
        const installed = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'argocd-cm', namespace: 'argocd' },
          data: { 'admin.enabled': 'true' },
        };
        await cp.kubectl(['apply', '--server-side', '--field-manager=argocd-install', '-f', '-'], { input: JSON.stringify(installed) });
        const patch = join(committed, 'argocd', 'patches', 'argocd-cm.yaml');

        // WHEN the patch is merged as the docs say
        await cp.kubectl(['-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--type', 'merge', '--patch-file', patch]);

        // THEN every key of the patch is there as written, and the install's own key is kept
        const [written] = yamlObjects(patch);
        expect(Object.keys(written.data).length).toBeGreaterThan(0);
        expect(await lostFieldsOf(cp, [written, installed])).toEqual([]);
      }, 30_000);
    }

    for (const change of CHANGES) {
      for (const delivery of deliveries) {
        test(`${change.name}: applies through ${delivery} on top of the committed target, or synth refuses it first`, async () => {
          const workspace = new ChangeWorkspace(environment, provider);
          try {
            const before = workspace.current();
            if (change.notFor?.(before)) {
              // GIVEN a target on which this is no change (already so): synth writes the same folder
              expect(workspace.commit(change.commits[0]).refused).toBeUndefined();
              return;
            }
            // GIVEN the committed target, applied through this delivery on a cluster without the previous case's objects
            await removeTarget(cp, workspace.dir);
            await restateCrds(facts.crdsVersion);
            await applyTarget(cp, committed, delivery);

            // WHEN each commit of the change is synthesized and applied on top, as this delivery applies it
            for (const [index, commit] of change.commits.entries()) {
              const step = workspace.commit(commit);
              if (step.refused) {
                // THEN (refused) synth names the file, the key path and what is wrong, and nothing was applied
                expect(step.refused).toMatch(/^\S+\.yaml: [\w.[\]]+: \S/m);
                console.info(
                  `${environment}/${provider} · ${change.name} · ${delivery}: commit ${index + 1} refused by synth:\n${step.refused}`,
                );
                return;
              }
              const { values } = loadTargetValues(workspace.values.path, environment, provider);
              await restateCrds(values.operator.crdsVersion ?? values.operator.version);
              await applyTarget(cp, step.dir!, delivery);
            }

            // THEN the change changed the target's manifests (else this case would prove nothing), no apply was
            // refused (applyTarget rejects on any kubectl error), and the cluster holds every field of the last commit
            const text = (dir: string) => numberedFiles(dir).map((file) => readFileSync(file, 'utf8'));
            expect(text(workspace.dir)).not.toEqual(text(committed));
            const last = await deliveredObjects(cp, workspace.dir, delivery);
            expect(await lostFieldsOf(cp, last)).toEqual([]);
          } finally {
            workspace.remove();
          }
        }, 60_000);
      }
    }
  });
}
