import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { committedOperatorState, operatorUpgradeProblems } from '../../lib/synth/operator-upgrade-guard';
import { GitRepo } from '../support/git-repo';
import { readTree } from '../support/tree';

const DEV = 'environments/dev.yaml';

/** A git repository holding a values copy and its committed dist/ (dev/vultr on operator 1.7.4, or another delivery). */
class Repo extends GitRepo {
  constructor(delivery = 'argocd') {
    super('upgrade');
    this.values.set(DEV, ['operator', 'delivery'], delivery);
    this.synth();
    this.commit('operator 1.7.4');
  }

  synth() {
    return runSynth({ environment: 'dev', provider: 'vultr', valuesDir: this.values.path, outdir: this.dist, allowStorageChange: false });
  }

  /** Sets the values of one upgrade step, synthesizes and commits. */
  step(operator: Record<string, unknown>, rest: Record<string, unknown> = {}, message = 'step'): void {
    for (const [key, value] of Object.entries(operator)) this.values.set(DEV, ['operator', key], value);
    for (const [key, value] of Object.entries(rest)) this.values.set(DEV, key.split('.'), value);
    this.synth();
    this.commit(message);
  }
}

let repo: Repo;
afterEach(() => repo.remove());

describe('the operator upgrade guard compares with the committed target', () => {
  test('refuses operator 2.8.1 while the committed target still ships the 1.7.4 CRDs, and writes nothing', () => {
    // GIVEN a committed 1.7.4 target
    repo = new Repo();
    const before = readTree(repo.dist);
    // WHEN the operator jumps to 2.8.1 at once
    repo.values.set(DEV, ['operator', 'version'], '2.8.1');
    // THEN
    expect(() => repo.synth()).toThrow(
      /operator\.version \(set in [^)]*\): moves the operator from 1\.7\.4 to 2\.8\.1 while the committed target still ships the 1\.7\.4 CRDs\. CRDs first/,
    );
    expect(readTree(repo.dist)).toEqual(before);
  });

  test.each(['argocd', 'flux'])(
    'with the %s delivery, walks the three steps: CRDs, then the chart, then the new cluster fields',
    (delivery) => {
      // GIVEN a committed 1.7.4 target with the automated provisioning Job
      repo = new Repo(delivery);
      repo.step({}, { 'provisioning.automated': true }, 'the Job');
      // WHEN step 1: the 2.8.1 CRDs
      repo.step({ crdsVersion: '2.8.1' });
      // THEN the chart alone may follow, but not together with the operator provisioning (the default under 2.8.1)
      repo.values.set(DEV, ['operator', 'version'], '2.8.1');
      // (provisioning.by is set in no values file: the line says so, naming the three files that could set it)
      expect(() => repo.synth()).toThrow(
        new RegExp(
          String.raw`provisioning\.by \(its default, set in none of [^)]*values/base\.yaml, [^)]*values/providers/vultr\.yaml, ` +
            String.raw`[^)]*values/environments/dev\.yaml\): adds spec\.cluster\.autoProvision in the same commit that brings operator 2\.8\.1`,
        ),
      );
      // WHEN step 2: the chart, the Job kept
      repo.step({ version: '2.8.1' }, { 'provisioning.by': 'job' });
      expect(Object.keys(readTree(join(repo.dist, 'dev/vultr')))).toContain('0002-provisioning.k8s.yaml');
      // AND step 3: the operator provisions, and the pods spread
      repo.step(
        {},
        { 'provisioning.by': undefined, topologySpread: [{ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' }] },
      );
      // THEN the target has the new fields and no Job
      const tree = readTree(join(repo.dist, 'dev/vultr'));
      expect(Object.keys(tree).filter((file) => !file.includes('/'))).toEqual(['0000-operator.k8s.yaml', '0001-cluster.k8s.yaml']);
      expect(tree['0001-cluster.k8s.yaml']).toContain('autoProvision: true');
      expect(tree['0001-cluster.k8s.yaml']).toContain('topologyKey: kubernetes.io/hostname');
    },
  );

  test('refuses going back from 2.8.1 to 1.7.4', () => {
    // GIVEN a committed 2.8.1 target, reached in two steps
    repo = new Repo();
    repo.step({ crdsVersion: '2.8.1' });
    repo.step({ version: '2.8.1' });
    // WHEN
    repo.values.set(DEV, ['operator', 'version'], '1.7.4');
    repo.values.set(DEV, ['operator', 'crdsVersion'], undefined);
    // THEN both the operator and its CRDs going back are named
    expect(() => repo.synth()).toThrow(
      /operator\.version \(set in [^)]*\): goes back from 2\.8\.1 to 1\.7\.4[\s\S]*operator\.crdsVersion \(its default, set in none of [^)]*\): goes back from the 2\.8\.1 CRDs/,
    );
  });

  test('a target without committed output may start on 2.8.1 with every new field', () => {
    repo = new Repo();
    rmSync(repo.dist, { recursive: true });
    repo.commit('no dist');
    repo.values.set(DEV, ['operator', 'version'], '2.8.1');
    repo.values.set(DEV, ['provisioning', 'automated'], true);
    expect(repo.synth().written).toEqual(['dev/vultr']);
  });
});

describe('the storage guard holds for a 2.8.1 target, whose CRD has no CEL rules for storage', () => {
  test('a shrink and a StorageClass change of a committed 2.8.1 target are refused, and nothing is written', () => {
    // GIVEN a committed 2.8.1 target (its CRD would let both changes through: it has no x-kubernetes-validations)
    repo = new Repo();
    repo.step({ crdsVersion: '2.8.1' });
    repo.step({ version: '2.8.1' });
    const before = readTree(repo.dist);
    expect(before['dev/vultr/0000-operator.k8s.yaml']).toContain('targetRevision: 2.8.1');
    // WHEN the volumes shrink and the class changes
    repo.values.set(DEV, ['storage', 'size'], '20Gi');
    repo.values.set(DEV, ['storage', 'storageClassName'], 'other');
    // THEN
    expect(() => repo.synth()).toThrow(
      /storage\.size \(set in [^)]*\): shrinks the volumes from 42949672960 to 21474836480 bytes[\s\S]*storage\.storageClassName \(set in [^)]*\): changes from "vultr-block-storage" to "other"/,
    );
    expect(readTree(repo.dist)).toEqual(before);
  });
});

describe('operatorUpgradeProblems', () => {
  test('reads the versions of a helm render back from the operator Namespace', () => {
    // GIVEN a committed helm render of 1.7.4 with the 2.8.1 CRDs (as OperatorHelmRender annotates it)
    const operatorFile = [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata:',
      '  name: restate-operator',
      '  annotations:',
      '    restate-stack.dev/operator-version: "1.7.4"',
      '    restate-stack.dev/crds-version: "2.8.1"',
    ].join('\n');
    const before = committedOperatorState(operatorFile, undefined);
    // THEN the chart may move to 2.8.1, the new fields may not come with it
    expect(before).toEqual({ operatorVersion: '1.7.4', crdsVersion: '2.8.1', newClusterFields: [] });
    expect(operatorUpgradeProblems('t', before, { operatorVersion: '2.8.1', crdsVersion: '2.8.1', newClusterFields: [] })).toEqual([]);
    expect(
      operatorUpgradeProblems('t', before, {
        operatorVersion: '2.8.1',
        crdsVersion: '2.8.1',
        newClusterFields: ['spec.compute.topologySpreadConstraints'],
      }).map((p) => p.keyPath),
    ).toEqual(['topologySpread']);
  });
});
