/**
 * The objects the real restate-operator created for each shipped target (test/data/operator-objects/, recorded by
 * scripts/record-operator-objects.ts with a binary built from the target's tag): each recording is of the operator
 * the target ships and of the RestateCluster dist/ holds, in the normalized, deterministic form.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  distCluster,
  normalizeObject,
  objectKey,
  operatorDeployment,
  readRecording,
  recordingPath,
  recordingText,
  sortObjects,
} from '../support/operator-objects';
import { diffAgainstOperatorPart } from '../support/operator-diff';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

/** Every shipped target: dist/<environment>/<provider> with an operator file. */
const TARGETS = readdirSync(DIST, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap(({ name: environment }) =>
    readdirSync(join(DIST, environment))
      .filter((provider) => existsSync(join(DIST, environment, provider, '0000-operator.k8s.yaml')))
      .map((provider) => ({ environment, provider, dir: join(DIST, environment, provider) })),
  );

const recorded = (t: { environment: string; provider: string; dir: string }) =>
  existsSync(recordingPath(ROOT, `v${operatorDeployment(t.dir).version}`, t.environment, t.provider));

describe('the recorded objects of the real operator', () => {
  test('every shipped target is recorded', () => {
    expect(TARGETS.length).toBeGreaterThanOrEqual(5);
    expect(TARGETS.filter((t) => !recorded(t)).map((t) => `${t.environment}/${t.provider}`)).toEqual([]);
  });

  describe.each(TARGETS.filter(recorded))('$environment/$provider', ({ environment, provider, dir }) => {
    const deployment = operatorDeployment(dir);
    const tag = `v${deployment.version}`;
    const file = recordingPath(ROOT, tag, environment, provider);

    test('is recorded with the operator the target ships, and of the RestateCluster dist/ holds', () => {
      // GIVEN the target's recording under the tag of the operator its dist/ operator file deploys
      const recording = readRecording(file);

      // THEN it names that tag and the target
      expect(recording.operator).toBe(tag);
      expect(recording.target).toBe(`${environment}/${provider}`);
      expect(recording.recorded).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      // AND the RestateCluster it recorded is dist/'s, spec and name
      const shipped = distCluster(dir);
      const clusters = recording.objects.filter((o) => o.kind === 'RestateCluster');
      expect(clusters.map((c) => c.metadata.name)).toEqual([shipped.metadata.name]);
      expect(clusters[0].spec).toEqual(shipped.spec);

      // AND the operator reconciled it: a Ready condition, and a StatefulSet in the cluster's namespace
      expect(clusters[0].status.conditions.map((c: { type: string }) => c.type)).toContain('Ready');
      expect(recording.objects.map(objectKey)).toContain(`StatefulSet ${shipped.metadata.name}/restate`);
    });

    test('holds the operator part to it: every object and field the real operator wrote, and its Ready condition', () => {
      // GIVEN the recording, cut to the fields the operator set, and what lib/operator-part derives for dist/'s cluster
      // (its condition for the recording's world: the StatefulSet's claims Pending, no volume provisioner)
      const recording = readRecording(file);
      const diffs = diffAgainstOperatorPart(recording, distCluster(dir), deployment);

      // THEN every object matches field by field, the RestateCluster's status included: the real operator's claims
      // check (compute.rs:928-937 at v1.7.4; :1517-1526 at v2.8.1) is lib/operator-part/claims.ts
      expect(diffs).toEqual([]);
      const condition = recording.objects.find((o) => o.kind === 'RestateCluster')!.status.conditions[0];
      expect([condition.status, condition.reason]).toEqual(['False', 'PersistentVolumeClaimNotBound']);
    });

    test('is normalized, sorted and written in the canonical form (a second recording is byte-identical)', () => {
      // GIVEN the file as committed
      const text = readFileSync(file, 'utf8');
      const recording = readRecording(file);

      // THEN normalizing again changes nothing, the objects are in kind, namespace, name order, and the text is
      // exactly what the recorder writes for it
      expect(recording.objects.map(normalizeObject)).toEqual(recording.objects);
      expect(sortObjects(recording.objects).map(objectKey)).toEqual(recording.objects.map(objectKey));
      expect(recordingText(recording)).toBe(text);

      // AND every object but the RestateCluster (the operator writes only its status) has the fields the operator set
      for (const object of recording.objects) {
        if (object.kind === 'RestateCluster') continue;
        expect([objectKey(object), Object.keys(recording.operatorFields[objectKey(object)] ?? {})]).toEqual([
          objectKey(object),
          expect.arrayContaining(['f:metadata']),
        ]);
      }
    });
  });
});
