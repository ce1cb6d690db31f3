/**
 * What the real API server refuses when the stack's files are applied the wrong way, and the answers the project
 * gives for the Jobs' immutable pod templates (promote, Argo CD's BeforeHookCreation, Flux's force: true), each
 * proven against the server. These are also the negative controls of the target tests (./target-suite.ts): each
 * kind of failure those tests look for is shown here to happen when it should.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDist } from '../support/fixture-dist';
import { FIXTURE_VALUES } from '../support/values-dir';
import { lostFields } from './fields';
import { type ControlPlane, startControlPlane } from '../../lib/control-plane/harness';
import {
  applyTarget,
  liveObject,
  numberedFiles,
  type Obj,
  PROMOTE_MANAGER,
  prepareCluster,
  removeTarget,
  targetFacts,
  yamlObjects,
} from './target-cluster';
import { CHANGES, ChangeWorkspace } from './target-changes';

const PROD = join(fixtureDist(), 'prod', 'vultr');
const KIND = join(fixtureDist(), 'dev', 'kind');
const imageStep = CHANGES.find((change) => change.name.startsWith('image'))!;

describe('the real API server refuses what it must, and the answers to an immutable Job hold', () => {
  let cp: ControlPlane;
  let changed: ChangeWorkspace;
  // The images the Jobs were written with, before and after the image step (whatever the tests' values pin)
  let oldImage: string | undefined;
  let newImage: string | undefined;
  const jobOf = (dir: string): Obj =>
    numberedFiles(dir)
      .flatMap(yamlObjects)
      .find((object) => object.kind === 'Job');
  const image = (job: Obj | undefined): string | undefined => job?.spec.template.spec.containers[0].image;

  beforeAll(async () => {
    cp = await startControlPlane();
    // prod/vultr (Argo CD) and dev/kind (Flux) share operator 1.7.4: both tools' CRDs on one server
    await prepareCluster(cp, targetFacts(FIXTURE_VALUES, 'prod', 'vultr'));
    await prepareCluster(cp, targetFacts(FIXTURE_VALUES, 'dev', 'kind'));
    changed = new ChangeWorkspace('prod', 'vultr');
    expect(changed.commit(imageStep.commits[0]).refused).toBeUndefined();
    oldImage = image(jobOf(PROD));
    newImage = image(jobOf(changed.dir));
    expect(oldImage).toMatch(/^restatedev\/restate:/);
    expect(newImage).toMatch(/^restatedev\/restate:/);
    expect(newImage).not.toBe(oldImage);
  }, 120_000);

  afterAll(async () => {
    changed?.remove();
    await cp?.stop();
  }, 60_000);

  beforeEach(async () => {
    await removeTarget(cp, changed.dir);
  }, 60_000);

  test('plain kubectl apply --server-side of a target folder is refused when its Job changed: the field is immutable', async () => {
    // GIVEN prod/vultr applied with the plain folder command a user might run
    const plain = (dir: string) =>
      cp.kubectl(['apply', '--server-side', `--field-manager=${PROMOTE_MANAGER}`, '-f', dir], { check: false });
    expect((await plain(PROD)).code).toBe(0);

    // WHEN the next image's synth (its provisioning Job's pod template changed) is applied the same way
    const result = await plain(changed.dir);

    // THEN the server refuses the Job as immutable and keeps the old one; the objects before it in the folder did apply
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/The Job "restate-prod-provision" is invalid: spec\.template: .*field is immutable/s);
    expect(image(await liveObject(cp, jobOf(PROD)))).toBe(oldImage);
    const cluster = await liveObject(cp, yamlObjects(join(changed.dir, '0001-cluster.k8s.yaml'))[0]);
    expect(cluster.spec.compute.image).toBe(newImage);
  }, 30_000);

  test('plain kubectl apply --server-side of a SOPS target folder is refused on the encrypted Secret file', async () => {
    // GIVEN dev/kind's folder, which holds the SOPS-encrypted credentials Secret beside the numbered files
    // WHEN a user applies the whole folder with plain server-side apply
    const result = await cp.kubectl(['apply', '--server-side', `--field-manager=${PROMOTE_MANAGER}`, '-f', KIND], { check: false });

    // THEN the server refuses that file (it has a `sops` field no Secret has)
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/\(restate-dev\/restate-object-storage; \/v1, Kind=Secret\): \.sops: field not declared in schema/);
  }, 30_000);

  test("promote's answer holds: the previous Job deleted, then the changed one applies", async () => {
    // GIVEN prod/vultr as promote applied it
    await applyTarget(cp, PROD, 'promote');
    const before = await liveObject(cp, jobOf(PROD));

    // WHEN the changed synth is applied as promote applies it (delete job/<name>, then server-side apply)
    await applyTarget(cp, changed.dir, 'promote');

    // THEN a new Job (another uid) runs the new image
    const after = await liveObject(cp, jobOf(PROD));
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(image(after)).toBe(newImage);
  }, 30_000);

  test("Argo CD's BeforeHookCreation holds: the hook is deleted and created again with the new template", async () => {
    // GIVEN prod/vultr as Argo CD synced it (server-side apply, argocd-controller)
    await applyTarget(cp, PROD, 'argocd');
    const before = await liveObject(cp, jobOf(PROD));
    expect(jobOf(PROD).metadata.annotations['argocd.argoproj.io/hook-delete-policy']).toMatch(/BeforeHookCreation/);

    // WHEN the changed synth is synced: the hook deleted before its creation, the rest applied server-side
    await applyTarget(cp, changed.dir, 'argocd');

    // THEN the Job is a new one with the new image
    const after = await liveObject(cp, jobOf(PROD));
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(image(after)).toBe(newImage);
  }, 30_000);

  test("Flux's force: true is needed: the step's apply is refused as immutable, and the recreation takes it", async () => {
    // GIVEN dev/kind as kustomize-controller applied it, and the next image's synth
    const kind = new ChangeWorkspace('dev', 'kind');
    try {
      await removeTarget(cp, KIND);
      await applyTarget(cp, KIND, 'flux');
      expect(kind.commit(imageStep.commits[0]).refused).toBeUndefined();
      const step = join(kind.dir, 'flux', 'provisioning');
      const built = (await cp.kubectl(['kustomize', '--load-restrictor', 'LoadRestrictionsNone', step])).stdout;

      // WHEN the provisioning step is applied without force (server-side, ownership forced, as the controller does)
      const unforced = await cp.kubectl(
        ['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'],
        {
          input: built,
          check: false,
        },
      );

      // THEN the server refuses the Job as immutable
      expect(unforced.code).not.toBe(0);
      expect(unforced.stderr).toMatch(/The Job "restate-dev-provision" is invalid: spec\.template: .*field is immutable/s);

      // WHEN it is applied as force: true does (recreate the object refused as immutable)
      await applyTarget(cp, kind.dir, 'flux');

      // THEN the Job runs the new image
      expect(image(await liveObject(cp, jobOf(KIND)))).toBe(image(jobOf(kind.dir)));
      expect(image(jobOf(kind.dir))).not.toBe(image(jobOf(KIND)));
    } finally {
      kind.remove();
    }
  }, 30_000);

  test('a field another manager owns is a conflict for promote, until --force-conflicts takes it over', async () => {
    // GIVEN prod/vultr as promote applied it, and its replicas since changed by `kubectl edit`'s manager
    await applyTarget(cp, PROD, 'promote');
    await cp.kubectl([
      'patch',
      'restatecluster',
      'restate-prod',
      '--type=merge',
      '--field-manager=kubectl-edit',
      '-p',
      JSON.stringify({ spec: { compute: { replicas: 7 } } }),
    ]);
    const file = join(PROD, '0001-cluster.k8s.yaml');

    // WHEN the committed file is applied again as promote applies it, then with --force-conflicts
    const refused = await cp.kubectl(['apply', '--server-side', `--field-manager=${PROMOTE_MANAGER}`, '-f', file], { check: false });
    const forced = await cp.kubectl(['apply', '--server-side', `--field-manager=${PROMOTE_MANAGER}`, '--force-conflicts', '-f', file], {
      check: false,
    });

    // THEN the first is a conflict naming the other manager and the field; the second takes the field back
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/conflict with "kubectl-edit"/);
    expect(refused.stderr).toMatch(/\.spec\.compute\.replicas/);
    expect(forced.code).toBe(0);
    expect((await liveObject(cp, yamlObjects(file)[0])).spec.compute.replicas).toBe(5);
  }, 30_000);

  test("a field the CRD's schema does not have is refused by server-side apply, and pruned (a loss lostFields names) by an unvalidated update", async () => {
    // GIVEN the committed RestateCluster with one field its 1.7.4 schema lacks, and one of the wrong type
    const cluster = yamlObjects(join(PROD, '0001-cluster.k8s.yaml'))[0];
    const unknown = { ...cluster, spec: { ...cluster.spec, compute: { ...cluster.spec.compute, warpDrive: true } } };
    const wrongType = { ...cluster, spec: { ...cluster.spec, compute: { ...cluster.spec.compute, replicas: 'five' } } };
    const scratch = join(changed.outdir, '..');
    const run = (object: Obj, args: string[]) => {
      const file = join(scratch, 'object.json');
      writeFileSync(file, JSON.stringify(object));
      return cp.kubectl([...args, '-f', file], { check: false });
    };
    const ssa = ['apply', '--server-side', `--field-manager=${PROMOTE_MANAGER}`];
    await applyTarget(cp, PROD, 'promote');

    // WHEN each is applied server-side, and the unknown one with an update that skips validation (`kubectl replace
    // --validate=false`, as an older client-side tool would write it)
    const unknownApplied = await run(unknown, ssa);
    const typed = await run(wrongType, ssa);
    const lax = await run(unknown, ['replace', '--validate=false']);

    // THEN server-side apply refuses both, naming the field; the update is taken with the field pruned silently,
    // which lostFields reports as lost
    expect(unknownApplied.code).not.toBe(0);
    expect(unknownApplied.stderr).toMatch(/\.spec\.compute\.warpDrive: field not declared in schema/);
    expect(typed.code).not.toBe(0);
    expect(typed.stderr).toMatch(/\.spec\.compute\.replicas: expected numeric \(int or float\), got string/);
    expect(lax.code).toBe(0);
    expect(lostFields(unknown, await liveObject(cp, cluster))).toEqual(['spec.compute.warpDrive (missing)']);
    expect(readFileSync(join(PROD, '0001-cluster.k8s.yaml'), 'utf8')).not.toMatch(/warpDrive/);
  }, 30_000);
});
