import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../lib/errors/user-error';
import type { PlanArgs } from '../../lib/review/args';
import { MARKDOWN_MARKER, renderJson, renderMarkdown } from '../../lib/review/render';
import { planExitCode, type PlanReport, reviewChanges, type TargetReview } from '../../lib/review/review';
import { runSynth } from '../../lib/synth/run';
import { ValuesError } from '../../lib/values';
import { GitRepo } from '../support/git-repo';
import { readTree } from '../support/tree';

/** A git repository as a user has it: values/ and the committed dist/ of every target (a full synth, committed). */
class Repo extends GitRepo {
  constructor() {
    super('plan-repo', { valuesInRepo: true });
    runSynth({ valuesDir: this.values.path, outdir: this.dist, allowStorageChange: false });
    this.commit('values and dist');
  }

  plan(overrides: Partial<PlanArgs> = {}): PlanReport {
    return reviewChanges({ base: 'HEAD', format: 'markdown', valuesDir: this.values.path, dist: this.dist, ...overrides });
  }
}

const target = (report: PlanReport, name: string): TargetReview => {
  const found = report.targets.find((t) => t.target === name);
  if (!found) throw new Error(`no target ${name} in ${report.targets.map((t) => t.target).join(', ')}`);
  return found;
};
const kinds = (review: TargetReview) => review.effects.map((effect) => effect.kind);
const summary = (review: TargetReview, kind: string) => review.effects.find((effect) => effect.kind === kind)?.summary ?? '';

let repo: Repo;
let first: string;
beforeAll(() => {
  repo = new Repo();
  first = repo.git(['rev-parse', 'HEAD']).trim();
});
afterAll(() => repo.remove());
afterEach(() => {
  // Every test starts from the first commit, whatever it changed or committed.
  repo.git(['reset', '-q', '--hard', first]);
  repo.git(['clean', '-qfd']);
});

describe('npm run plan compares a fresh synth with the committed targets', () => {
  test('with no change of the values, every target is unchanged, the exit status is OK, and dist/ is not touched', () => {
    // GIVEN the committed repository WHEN planning
    const before = readTree(repo.dist);
    const report = repo.plan();
    // THEN nothing changes and nothing was written to dist/
    expect(report.targets.map((t) => [t.target, t.status])).toEqual([
      ['dev/kind', 'unchanged'],
      ['dev/vultr', 'unchanged'],
      ['prod/aws', 'unchanged'],
      ['prod/vultr', 'unchanged'],
      ['staging/vultr', 'unchanged'],
    ]);
    expect(planExitCode(report)).toBe(ExitCode.OK);
    expect(readTree(repo.dist)).toEqual(before);
    expect(renderMarkdown(report)).toContain('nothing changes (5 targets)');
  });

  test('an image change is a rolling restart of every running pod, with the 1.7.4 readiness risk, and exit status CHANGES', () => {
    // GIVEN a new image in base.yaml (every target)
    repo.values.set('base.yaml', ['image'], 'restatedev/restate:1.5.3');
    // WHEN planning
    const report = repo.plan();
    // THEN each target rolls its own number of pods, and the changed field is named with both values
    const dev = target(report, 'dev/vultr');
    const prod = target(report, 'prod/aws');
    expect(dev.status).toBe('changed');
    expect(summary(dev, 'rolling-restart')).toMatch(
      /^Rolling restart of all 3 pods \(restate-0 … restate-2\).*the image changes \(restatedev\/restate:1\.4\.4 → restatedev\/restate:1\.5\.3\)/,
    );
    expect(summary(dev, 'rolling-restart')).toMatch(/no initial delay.*about 40 s of unavailability/);
    expect(summary(prod, 'rolling-restart')).toMatch(/^Rolling restart of all 5 pods \(restate-0 … restate-4\)/);
    // AND operator 2.8.1 (staging) gates each pod 30 s, which the rolling restart says instead of the 1.7.4 risk
    expect(summary(target(report, 'staging/vultr'), 'rolling-restart')).toMatch(
      /Under operator 2\.8\.1 a restarted pod counts as Ready only 30 s after it starts .* no write failed during a roll\.$/,
    );
    expect(summary(target(report, 'staging/vultr'), 'rolling-restart')).not.toMatch(/no initial delay/);
    expect(dev.objects).toEqual([
      expect.objectContaining({
        id: { apiVersion: 'restate.dev/v1', kind: 'RestateCluster', name: 'restate-dev' },
        change: 'changed',
        file: '0001-cluster.k8s.yaml',
        fields: [{ path: 'spec.compute.image', before: 'restatedev/restate:1.4.4', after: 'restatedev/restate:1.5.3' }],
      }),
    ]);
    expect(planExitCode(report)).toBe(ExitCode.CHANGES);
  });

  test('a change that reaches only the GitOps entry (argocd/) is a change: the objects, and that it applies only when the entry is', () => {
    // GIVEN only gitops.repoURL changed: it reaches the Argo CD Applications and AppProject, nothing Argo CD syncs
    repo.values.set('base.yaml', ['gitops', 'repoURL'], 'https://git.restate-stack.test/moved.git');
    // WHEN planning
    const report = repo.plan();
    const dev = target(report, 'dev/vultr');
    // THEN the target changed (exit CHANGES, never "nothing changes"), the objects are named with their file below the folder
    expect(dev.status).toBe('changed');
    expect(dev.objects.map((o) => [o.id.kind, o.id.name, o.file, o.change])).toEqual([
      ['Application', 'restate-dev', 'argocd/application.yaml', 'changed'],
      ['AppProject', 'restate-stack', 'argocd/appproject.yaml', 'changed'],
    ]);
    expect(dev.objects[0]!.fields).toContainEqual({
      path: 'spec.source.repoURL',
      before: 'https://github.com/example/platform-gitops.git',
      after: 'https://git.restate-stack.test/moved.git',
    });
    // AND the effect says the entry applies only when applied again, and how
    expect(dev.effects.map((e) => e.kind)).toEqual(['gitops-entry', 'gitops-entry']);
    expect(summary(dev, 'gitops-entry')).toMatch(
      /not synced by itself; it takes effect when it is applied again: `kubectl apply --server-side -f <dist>\/dev\/vultr\/argocd\/`/,
    );
    // AND dev/kind (Flux: its entry names a GitRepository, not the URL) is unchanged
    expect(target(report, 'dev/kind').status).toBe('unchanged');
    expect(planExitCode(report)).toBe(ExitCode.CHANGES);
    expect(renderMarkdown(report)).not.toContain('nothing changes');
  });

  test('a RestateCluster field no other effect speaks for is still named: updated in place, and a new IRSA role waits for the pods', () => {
    // GIVEN prod/aws's IRSA role changed (it reaches only spec.security.serviceAccountAnnotations)
    repo.values.set(
      'providers/aws.yaml',
      ['objectStorage', 'credentials', 'serviceAccountAnnotations', 'eks.amazonaws.com/role-arn'],
      'arn:aws:iam::444455556666:role/restate',
    );
    // WHEN planning
    const aws = target(repo.plan(), 'prod/aws');
    // THEN the RestateCluster's change has an effect of its own, naming the field and when it takes effect
    expect(aws.objects.map((o) => o.id.kind)).toEqual(['RestateCluster']);
    const effect = aws.effects.find((e) => e.summary.startsWith('RestateCluster restate-prod:'));
    expect(effect).toMatchObject({ kind: 'in-place', severity: 'info' });
    expect(effect!.summary).toContain('spec.security.serviceAccountAnnotations["eks.amazonaws.com/role-arn"] changes');
    expect(effect!.summary).toContain('Running pods keep the identity they started with');
    expect(aws.effects.some((e) => e.kind === 'rolling-restart')).toBe(false);
  });

  test("synth's change rules decide the refusals: a skipped minor version and a replicas decrease without its procedure", () => {
    // GIVEN an image two minors ahead for every target, and prod shrunk from 5 to 3 without a scale-in
    repo.values.set('base.yaml', ['image'], 'restatedev/restate:1.6.1');
    repo.values.set('environments/prod.yaml', ['replicas'], 3);
    // WHEN planning
    const report = repo.plan();
    // THEN the rules' refusals are effects with their names, and the exit status says refused
    const prod = target(report, 'prod/vultr');
    expect(
      prod.effects
        .filter((e) => e.severity === 'refuse')
        .map((e) => e.rule)
        .sort(),
    ).toEqual(['image-version', 'replicas-decrease']);
    expect(target(report, 'dev/vultr').effects[0]).toMatchObject({ kind: 'refused', rule: 'image-version' });
    expect(planExitCode(report)).toBe(ExitCode.INVALID_INPUT);
    // and the rolling restart is one effect, named by the rule that warns of it in synth
    expect(target(report, 'dev/vultr').effects.filter((e) => e.kind === 'rolling-restart' || e.rule === 'pod-template-roll')).toEqual([
      expect.objectContaining({ kind: 'rolling-restart', rule: 'pod-template-roll' }),
    ]);
  });

  test('a label or annotation of the RestateCluster alone rolls the pods (the operator copies them to the pod template)', () => {
    // GIVEN a committed cluster file whose RestateCluster carries one more annotation than synth writes
    const file = join(repo.dist, 'dev/vultr/0001-cluster.k8s.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('metadata:\n  annotations:\n', 'metadata:\n  annotations:\n    example.com/owner: team-a\n'),
    );
    repo.commit('an annotation added by hand');
    // WHEN planning
    const dev = target(repo.plan(), 'dev/vultr');
    // THEN the field is the annotation, and the effect is a rolling restart because of it
    expect(dev.objects[0]!.fields).toEqual([{ path: 'metadata.annotations["example.com/owner"]', before: 'team-a' }]);
    expect(summary(dev, 'rolling-restart')).toMatch(/labels or annotations change/);
  });

  test('a lower memory limit names the change of the derived memory budgets, and it rolls the pods', () => {
    // GIVEN prod's limit (and request) lowered from 8Gi to 4Gi
    repo.values.set('environments/prod.yaml', ['resources'], { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } });
    // WHEN planning
    const prod = target(repo.plan(), 'prod/vultr');
    // THEN the budgets' change is named with both values, beside the rolling restart of every pod
    expect(kinds(prod)).toEqual(expect.arrayContaining(['rolling-restart', 'memory-budgets']));
    expect(summary(prod, 'memory-budgets')).toMatch(
      new RegExp(
        "^The server's memory budgets change: rocksdb-total-memory-size 4Gi → 2Gi, admin\\.query-engine\\.memory-size 1Gi → 512Mi, " +
          'bifrost\\.record-cache-memory-size 250Mi → 128Mi .*take effect as the pods roll',
      ),
    );
    expect(summary(prod, 'rolling-restart')).toMatch(/^Rolling restart of all 5 pods .*the server config changes/);
    expect(kinds(target(repo.plan(), 'dev/vultr'))).toEqual([]);
  });

  test("removing the memory limit names the server's own defaults of the image's version the budgets go back to", () => {
    // GIVEN prod without resources (the 1.4.4 image)
    repo.values.set('environments/prod.yaml', ['resources'], undefined);
    // WHEN planning THEN each budget goes back to 1.4.4's default, named with its value
    expect(summary(target(repo.plan(), 'prod/vultr'), 'memory-budgets')).toMatch(
      new RegExp(
        "^The server's memory budgets change: rocksdb-total-memory-size 4Gi → \\(the server's default, 6Gi at 1\\.4\\.4\\), " +
          "admin\\.query-engine\\.memory-size 1Gi → \\(the server's default, 4Gi at 1\\.4\\.4\\), " +
          "bifrost\\.record-cache-memory-size 250Mi → \\(the server's default, 250Mi at 1\\.4\\.4\\) ",
      ),
    );
  });

  test('partitions: the running cluster keeps the partitions it was provisioned with', () => {
    // GIVEN another partition count for prod
    repo.values.set('environments/prod.yaml', ['restate', 'defaultNumPartitions'], 256);
    // WHEN planning
    const prod = target(repo.plan(), 'prod/vultr');
    // THEN the TOML key is the changed field, and the effect says the running cluster keeps its partitions
    expect(prod.objects[0]!.fields.map((f) => f.path)).toEqual(['spec.config#default-num-partitions']);
    expect(summary(prod, 'partitions-unchanged')).toMatch(/keeps the 128 partitions it was provisioned with/);
    expect(kinds(prod)).toContain('rolling-restart');
  });

  test('replication: what sets it on a running cluster differs per provisioner, and plan says which for each target', () => {
    // GIVEN the replication raised everywhere: 2 → 3 (dev, staging), 3 → 4 (prod)
    repo.values.set('base.yaml', ['restate', 'defaultReplication'], 3);
    repo.values.set('environments/prod.yaml', ['restate', 'defaultReplication'], 4);
    // WHEN planning
    const report = repo.plan();
    // THEN every target says that default-replication alone changes nothing on a provisioned cluster
    for (const review of report.targets) {
      expect(summary(review, 'replication-step')).toMatch(
        /^default-replication (2 → 3|3 → 4) applies only at provisioning: a provisioned cluster keeps (2|3) until provision\.sh --ensure-replication/,
      );
    }
    // AND with the provisioning Job (prod under Argo CD, dev/kind under Flux) the Job's next run sets it
    const prod = target(report, 'prod/vultr');
    expect(prod.effects.find((e) => e.kind === 'replication-step')).toMatchObject({ severity: 'info' });
    expect(summary(prod, 'replication-step')).toContain(
      'The provisioning Job does that, with --ensure-replication 4, each time it runs: promote re-creates it, and Argo CD runs it on the sync of this change',
    );
    expect(summary(target(report, 'dev/kind'), 'replication-step')).toContain('Flux re-creates the changed Job (force: true)');
    // AND the Job's change names the flag, not its position in the list
    const job = prod.objects.find((o) => o.id.kind === 'Job')!;
    expect(job.fields).toEqual([
      { path: 'spec.template.spec.containers[0].args[7]', flag: '--ensure-replication', before: '3', after: '4' },
    ]);
    expect(summary(prod, 'provisioning-rerun')).toMatch(
      /^Job restate-operator\/restate-prod-provision changed \(--ensure-replication 3 → 4\)/,
    );
    expect(renderMarkdown(report)).toContain('`spec.template.spec.containers[0].args --ensure-replication`: `3` → `4`');
    // AND manual provisioning (dev/vultr): promote sets it, a GitOps sync does not
    const dev = target(report, 'dev/vultr');
    expect(dev.effects.find((e) => e.kind === 'replication-step')).toMatchObject({ severity: 'warn' });
    expect(summary(dev, 'replication-step')).toContain(
      'Promote does that (its provisioning step runs it in restate-0); an Argo CD or Flux sync does not: ' +
        'after the sync, run `mise run provision --environment dev --provider vultr`',
    );
    // AND operator 2.8.1 provisions once: nothing sets it but the provision task
    const staging = target(report, 'staging/vultr');
    expect(summary(staging, 'replication-step')).toContain(
      'Nothing runs it by itself: operator 2.8.1 provisions once and never changes the replication afterwards',
    );
    expect(summary(staging, 'replication-step')).toContain('run `mise run provision --environment staging --provider vultr`');
  });

  test('a storage shrink and another storage class are refused (exit INVALID_INPUT), and the report still shows them', () => {
    // GIVEN a smaller volume for dev and another class on aws
    repo.values.set('environments/dev.yaml', ['storage', 'size'], '20Gi');
    repo.values.set('providers/aws.yaml', ['storage', 'storageClassName'], 'gp2');
    // WHEN planning
    const report = repo.plan();
    // THEN both are refusals by the storage guard's rules, first in their targets
    expect(target(report, 'dev/vultr').effects[0]).toMatchObject({ kind: 'refused', severity: 'refuse', rule: 'storage-shrink' });
    expect(target(report, 'prod/aws').effects[0]).toMatchObject({ kind: 'refused', severity: 'refuse', rule: 'storage-class' });
    expect(planExitCode(report)).toBe(ExitCode.INVALID_INPUT);
    expect(renderMarkdown(report)).toMatch(/\*\*2 changes are refused\*\*/);
    // AND each names the values files that set the refused key, as synth's line does
    expect(renderMarkdown(report)).toContain(
      `**Refused** \`storage-shrink\`: storage.size (set in ${join(repo.values.path, 'environments/dev.yaml')}, over ` +
        `${join(repo.values.path, 'base.yaml')}): shrinks the volumes from 42949672960 to 21474836480 bytes`,
    );
  });

  test('moving a 1.7.4 target to operator 2.8.1 in one commit is refused by the operator upgrade guard: CRDs first', () => {
    // GIVEN dev/vultr (committed on operator 1.7.4, its CRDs from the chart) switched straight to 2.8.1
    repo.values.set('environments/dev.yaml', ['operator', 'version'], '2.8.1');
    // WHEN planning
    const report = repo.plan();
    // THEN the report says what synth would refuse, and the exit status says invalid input
    const dev = target(report, 'dev/vultr');
    expect(dev.effects[0]).toMatchObject({ kind: 'refused', severity: 'refuse', rule: 'operator-upgrade' });
    expect(dev.effects[0]!.summary).toMatch(
      /^operator\.version \(set in [^)]*environments\/dev\.yaml, over [^)]*base\.yaml\): moves the operator from 1\.7\.4 to 2\.8\.1 while the committed target still ships the 1\.7\.4 CRDs/,
    );
    expect(planExitCode(report)).toBe(ExitCode.INVALID_INPUT);
  });

  test('switching the metadata store is a refused data migration', () => {
    // GIVEN kind (whose store has the guarantees object-store metadata needs) switched to object-store metadata
    repo.values.set('providers/kind.yaml', ['metadata', 'store'], 'object-store');
    // WHEN planning
    const kind = target(repo.plan(), 'dev/kind');
    // THEN
    expect(kind.effects[0]).toMatchObject({ kind: 'data-migration', severity: 'refuse', rule: 'metadata-store' });
    expect(kind.effects[0]!.summary).toMatch(/data migration/);
  });

  test('scaling out names the new pods; scaling in without its procedure is a warning of what breaks', () => {
    // GIVEN dev grown to 5 and prod shrunk to 3
    repo.values.set('environments/dev.yaml', ['replicas'], 5);
    repo.values.set('environments/prod.yaml', ['replicas'], 3);
    repo.values.set('environments/prod.yaml', ['restate', 'defaultReplication'], 2);
    // WHEN planning
    const report = repo.plan();
    // THEN
    expect(summary(target(report, 'dev/vultr'), 'scale-out')).toMatch(
      /^Scale out 3 → 5: the new pods restate-3, restate-4 join by themselves/,
    );
    const scaleIn = target(report, 'prod/vultr').effects.filter((e) => e.kind === 'scale-in' || e.severity === 'refuse');
    expect(scaleIn.length).toBeGreaterThan(0);
    expect(scaleIn.map((e) => e.summary).join(' ')).toMatch(/restate-3, restate-4|drain/i);
  });

  test("a scale-in's first commit: the drain Job added is named with the nodes it drains and the commit that follows", () => {
    // GIVEN prod's scaleIn set, replicas still 5 (the first of the two commits)
    repo.values.set('environments/prod.yaml', ['scaleIn'], { from: 5, to: 3 });
    // WHEN planning
    const prod = target(repo.plan(), 'prod/vultr');
    // THEN the Job's effect says what it does to restate-3 and restate-4, and what must follow; no in-place note for it
    expect(summary(prod, 'scale-in')).toMatch(
      /^Job restate-prod-drain-5-to-3 added: the first commit of a scale-in 5 → 3\. It drains restate-3, restate-4 one at a time .* the commit that lowers replicas to 3 may follow/,
    );
    expect(prod.effects.map((e) => e.summary).join(' ')).not.toMatch(
      /Job restate-operator\/restate-prod-drain-5-to-3 added; the Restate pods are not restarted/,
    );
  });

  test("another operator.podSecurityLevel relabels the operator's namespace: a pod-security note, not an operator update", () => {
    // GIVEN privileged in base.yaml (every target: Argo CD's managedNamespaceMetadata, Flux's Namespace object)
    repo.values.set('base.yaml', ['operator', 'podSecurityLevel'], 'privileged');
    // WHEN planning
    const report = repo.plan();
    // THEN each target says what the new level does, and nothing else
    for (const name of ['dev/vultr', 'dev/kind']) {
      const review = target(report, name);
      expect(kinds(review)).toEqual(['pod-security']);
      expect(summary(review, 'pod-security')).toMatch(
        /^(Application argocd\/restate-operator|Namespace restate-operator) changed: the operator's namespace is held to the Pod Security Standard "privileged" /,
      );
    }
  });

  test('a new target is a first rollout; a removed target says what deleting it destroys', () => {
    // GIVEN staging on aws added and prod on aws dropped from targets.yaml
    writeFileSync(
      join(repo.values.path, 'targets.yaml'),
      readFileSync(join(repo.values.path, 'targets.yaml'), 'utf8').replace(
        'environment: prod, provider: aws',
        'environment: staging, provider: aws',
      ),
    );
    // WHEN planning
    const report = repo.plan();
    // THEN
    const added = target(report, 'staging/aws');
    expect(added.status).toBe('added');
    expect(added.effects[0]!.summary).toMatch(/^New target staging\/aws: .*RestateCluster restate-staging .*No running cluster is touched/);
    expect(added.objects.every((o) => o.change === 'added')).toBe(true);
    const removed = target(report, 'prod/aws');
    expect(removed.status).toBe('removed');
    expect(removed.effects[0]).toMatchObject({ kind: 'removed-target', severity: 'warn' });
    expect(removed.effects[0]!.summary).toMatch(
      /delete the namespace restate-prod it owns, with every PVC in it \(storage-restate-0 … storage-restate-4\)/,
    );
    expect(removed.effects[0]!.summary).toMatch(/Argo CD will not do it \(the object carries Prune=false,Delete=false\)/);
    expect(removed.effects[0]!.summary).toMatch(/Also goes: Application argocd\/restate-operator/);
    expect(planExitCode(report)).toBe(ExitCode.CHANGES);
  });

  test("--base REF compares with that revision: a branch's own commits are part of the change", () => {
    // GIVEN a branch that committed an image change with its dist/
    repo.git(['checkout', '-qb', 'feature']);
    repo.values.set('base.yaml', ['image'], 'restatedev/restate:1.5.3');
    runSynth({ valuesDir: repo.values.path, outdir: repo.dist, allowStorageChange: false });
    repo.commit('image 1.5.3');
    try {
      // WHEN planning against HEAD and against main
      const againstHead = repo.plan();
      const againstMain = repo.plan({ base: 'main' });
      // THEN only the merge base shows the change
      expect(againstHead.changed).toBe(false);
      expect(target(againstMain, 'dev/vultr').status).toBe('changed');
      expect(againstMain.base.ref).toBe('main');
      expect(againstMain.base.commit).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      repo.git(['checkout', '-q', 'main']);
      repo.git(['branch', '-qD', 'feature']);
    }
  });

  test('a base that is not a commit, and a dist outside git, are invalid input naming the flag', () => {
    // GIVEN / WHEN / THEN
    expect(() => repo.plan({ base: 'no-such-branch' })).toThrow(ValuesError);
    expect(() => repo.plan({ base: 'no-such-branch' })).toThrow(/--base: "no-such-branch" is not a commit/);
    const outside = mkdtempSync(join(tmpdir(), 'restate-stack-plan-nogit-'));
    try {
      expect(() => repo.plan({ dist: join(outside, 'dist') })).toThrow(/--dist: .* is not inside a git repository/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a committed file with merge conflict markers is an error naming it, never "unchanged"', () => {
    // GIVEN a cluster file committed in the middle of a merge
    const file = join(repo.dist, 'dev/vultr/0001-cluster.k8s.yaml');
    writeFileSync(file, `<<<<<<< HEAD\n${readFileSync(file, 'utf8')}=======\n>>>>>>> other\n`);
    repo.commit('a bad merge');
    // WHEN / THEN
    expect(() => repo.plan()).toThrow(/HEAD:dist\/dev\/vultr\/0001-cluster\.k8s\.yaml: holds merge conflict markers/);
  });

  test('the Markdown is a pull-request comment with its marker; the JSON carries every field and the exit status', () => {
    // GIVEN a change WHEN rendering both forms
    repo.values.set('environments/staging.yaml', ['replicas'], 5);
    const report = repo.plan();
    const markdown = renderMarkdown(report);
    const json = JSON.parse(renderJson(report));
    // THEN
    expect(markdown.split('\n')[0]).toBe(MARKDOWN_MARKER);
    expect(markdown).toContain('### `staging/vultr`: changed');
    expect(markdown).toContain(
      '| `RestateCluster restate-staging` | `0001-cluster.k8s.yaml` | changed | `spec.compute.replicas`: `3` → `5` |',
    );
    expect(markdown).toMatch(/Unchanged: `dev\/kind`, `dev\/vultr`, `prod\/aws`, `prod\/vultr`\./);
    expect(json).toMatchObject({
      version: 2,
      changed: true,
      refused: false,
      exitCode: ExitCode.CHANGES,
      base: { ref: 'HEAD' },
      dist: 'dist',
    });
    const staging = json.targets.find((t: { target: string }) => t.target === 'staging/vultr');
    expect(staging.objects).toEqual([
      {
        apiVersion: 'restate.dev/v1',
        kind: 'RestateCluster',
        name: 'restate-staging',
        file: '0001-cluster.k8s.yaml',
        change: 'changed',
        fields: [{ path: 'spec.compute.replicas', before: 3, after: 5 }],
      },
    ]);
    expect(staging.effects.map((e: { kind: string }) => e.kind)).toEqual(['scale-out']);
  });

  test('the warnings hold whatever the change: listed once, the acknowledged ones with their reason, in Markdown and JSON', () => {
    // GIVEN the shipped values (snapshots-off acknowledged on vultr), and prod/aws given an even replica count
    repo.values.set('environments/prod.yaml', ['replicas'], 6);
    // WHEN planning
    const report = repo.plan();
    const markdown = renderMarkdown(report);
    const json = JSON.parse(renderJson(report));
    // THEN the one warning names its targets as synth does, with its docs heading; the acknowledgement is listed once
    const vultrFile = join(repo.values.path, 'providers', 'vultr.yaml');
    expect(json.warnings).toEqual([
      {
        id: 'even-replicas',
        targets: ['prod/vultr', 'prod/aws'],
        text: 'replicas 6 is even: no safer than 5; use an odd count',
        docs: 'docs/warnings.md#even-replicas',
      },
    ]);
    expect(json.acknowledged).toEqual([
      {
        id: 'alert-metric-missing',
        targets: ['prod/aws'],
        reason: expect.stringMatching(/^The shipped image is Restate 1\.4\.4, which has no snapshot-age metric/),
        file: expect.stringMatching(/values\/providers\/aws\.yaml$/),
      },
      {
        id: 'snapshots-off',
        targets: ['dev/vultr', 'staging/vultr', 'prod/vultr'],
        reason: expect.stringMatching(/^Vultr Object Storage, as evaluated for this project, guarantees neither/),
        file: vultrFile,
      },
    ]);
    expect(markdown).toContain('<details><summary>Warnings: 1; acknowledged: 2</summary>');
    expect(markdown).toContain(
      '- even-replicas on prod/vultr, prod/aws: replicas 6 is even: no safer than 5; use an odd count (docs/warnings.md#even-replicas)',
    );
    expect(markdown).toContain(
      `- acknowledged snapshots-off on dev/vultr, staging/vultr, prod/vultr (${vultrFile}): "Vultr Object Storage,`,
    );
    // AND no target's effects repeat them
    expect(report.targets.flatMap((t) => t.effects.map((e) => e.rule))).not.toContain('snapshots-off');
  });

  test("the shipped examples (gitops.repoURL, the runbooks' base, aws's IRSA role) are named once each, with the targets deploy refuses, until set", () => {
    // GIVEN the shipped values WHEN planning THEN one line names the key, the file and the Argo CD targets (not dev/kind, on Flux)
    const shipped = repo.plan();
    expect(renderJson(shipped)).toContain('"placeholders"');
    expect(shipped.placeholders).toEqual([
      {
        keyPath: 'gitops.repoURL',
        value: 'https://github.com/example/platform-gitops.git',
        file: join(repo.values.path, 'base.yaml'),
        doc: 'docs/gitops.md#set-your-repository-first',
        targets: ['dev/vultr', 'staging/vultr', 'prod/vultr', 'prod/aws'],
      },
      {
        keyPath: 'metrics.alerts.runbookBaseUrl',
        value: 'https://github.com/example/restate-stack/blob/main/docs/runbooks.md',
        file: join(repo.values.path, 'base.yaml'),
        doc: 'docs/runbooks.md#where-the-runbook-links-point',
        targets: ['prod/vultr', 'prod/aws'],
      },
      {
        keyPath: 'objectStorage.credentials.serviceAccountAnnotations["eks.amazonaws.com/role-arn"]',
        value: 'arn:aws:iam::111122223333:role/restate-stack',
        file: join(repo.values.path, 'providers', 'aws.yaml'),
        doc: 'docs/object-storage-and-credentials.md#set-your-role-first',
        targets: ['prod/aws'],
      },
    ]);
    expect(renderMarkdown(shipped)).toContain(
      '**Not deployable yet**: `gitops.repoURL` is still the shipped example `https://github.com/example/platform-gitops.git` ' +
        `(${join(repo.values.path, 'base.yaml')}) on dev/vultr, staging/vultr, prod/vultr, prod/aws; ` +
        'deploy:preview and deploy:promote refuse them until it is set (docs/gitops.md#set-your-repository-first).',
    );
    expect(renderMarkdown(shipped)).toContain(
      '**Not deployable yet**: `metrics.alerts.runbookBaseUrl` is still the shipped example ' +
        `\`https://github.com/example/restate-stack/blob/main/docs/runbooks.md\` (${join(repo.values.path, 'base.yaml')}) on ` +
        'prod/vultr, prod/aws; deploy:preview and deploy:promote refuse them until it is set (docs/runbooks.md#where-the-runbook-links-point).',
    );
    // WHEN the repository and the runbooks' base are set THEN the lines are gone
    repo.values.set('base.yaml', ['gitops', 'repoURL'], 'https://git.internal/platform/gitops.git');
    repo.values.set('base.yaml', ['metrics', 'alerts', 'runbookBaseUrl'], 'https://docs.internal/restate/runbooks.html');
    repo.values.set(
      'providers/aws.yaml',
      ['objectStorage', 'credentials', 'serviceAccountAnnotations', 'eks.amazonaws.com/role-arn'],
      'arn:aws:iam::444455556666:role/restate',
    );
    const set = repo.plan();
    expect(set.placeholders).toEqual([]);
    expect(renderMarkdown(set)).not.toContain('Not deployable yet');
  });

  test('locations on a running target: refused until the migration is named, then plan says what the roll does to the nodes', () => {
    // GIVEN prod/aws committed without locations WHEN values give its nodes zones without naming the procedure
    const zones = { region: 'eu-central-1', zones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'] };
    repo.values.set('providers/aws.yaml', ['locations'], zones);
    const refused = target(repo.plan(), 'prod/aws');
    // THEN synth's refusal shows
    expect(refused.effects).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'refused', rule: 'locations-added' })]));
    // WHEN the migration is named THEN nothing is refused and the locations effect says what happens and what comes next
    repo.values.set('providers/aws.yaml', ['locations'], { ...zones, migration: 'add-to-running-cluster' });
    const named = target(repo.plan(), 'prod/aws');
    expect(named.effects.filter((e) => e.severity === 'refuse')).toEqual([]);
    expect(summary(named, 'locations')).toMatch(/^Every node gets the location eu-central-1\.\$\(POD_ZONE\) \(RESTATE_LOCATION/);
    expect(summary(named, 'locations')).toContain('only then commit a zone-scoped restate.defaultReplication');
  });
});
