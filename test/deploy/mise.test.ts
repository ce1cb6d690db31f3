import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { OUTPUT_MARKER } from '../../lib/target-folder/files';
import { runSynth } from '../../lib/synth/run';
import { ANYTHING_ELSE_SUCCEEDS, KubectlStandIn, type Rule, STAND_IN_DIR } from '../fixtures/kubectl-stand-in';
import { readTree } from '../support/tree';
import { deployValues } from '../support/deploy-values';
import { FIXTURE_VALUES } from '../support/values-dir';

// The real mise from npm (@jdxcode/mise), run in the repository as a user would, with a fresh HOME: no
// earlier `mise trust`, no global config. Runs of a task start tsx (about 1.5 s each), so they run concurrently.
const REPO = resolve(__dirname, '..', '..');
const MISE = join(REPO, 'node_modules', '.bin', 'mise');
/** A task run takes 1.5 s alone; several at once on a busy 2-core machine take longer. */
const TASK_TIMEOUT_MS = 60_000;
const TASKS = ['deploy:build', 'deploy:preview', 'deploy:promote', 'provision', 'status', 'recover'];

let home: string;
const standIns: KubectlStandIn[] = [];
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'restate-stack-mise-home-'));
});
// Not afterEach: concurrent tests would lose their stand-in while still running.
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  standIns.splice(0).forEach((s) => s.remove());
});

/** The environment mise runs with: a fresh HOME, node, and the kubectl stand-in first on PATH. */
function miseEnv(kubectl?: KubectlStandIn): NodeJS.ProcessEnv {
  return { HOME: home, PATH: `${STAND_IN_DIR}:${dirname(process.execPath)}:/usr/bin:/bin`, ...(kubectl ? kubectl.env() : {}) };
}

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs mise in the repository and waits for it; for the quick commands that start no task. */
function mise(args: readonly string[], kubectl?: KubectlStandIn): Result {
  const result = spawnSync(MISE, [...args], { cwd: REPO, env: miseEnv(kubectl), encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs a mise task without blocking, so that several can run at once. The task reads the tests' own values
 * (`--values-dir`, added after `args`, unless `args` name a folder of their own), not the user's values/.
 */
function miseTask(args: readonly string[], kubectl?: KubectlStandIn): Promise<Result> {
  return new Promise((done, failed) => {
    const values = args.includes('--values-dir') ? [] : ['--values-dir', FIXTURE_VALUES];
    const child = spawn(MISE, [...args, ...values], {
      cwd: REPO,
      env: miseEnv(kubectl),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', failed);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** What a kubectl 1.32 client answers to `kubectl version --client -o json` (the tasks check it first). */
const KUBECTL_VERSION: Rule = {
  match: 'version --client -o json',
  stdout: '{"clientVersion": {"major": "1", "minor": "32", "gitVersion": "v1.32.4"}}\n',
};

/** A stand-in answering `rules`, after the version check; its `calls()` are the calls after that check. */
function standIn(rules: readonly Rule[]): KubectlStandIn {
  const kubectl = new KubectlStandIn([KUBECTL_VERSION, ...rules]);
  standIns.push(kubectl);
  const all = kubectl.calls.bind(kubectl);
  versionChecks.set(kubectl, () => all().filter((call) => call.join(' ') === KUBECTL_VERSION.match).length);
  kubectl.calls = () => all().filter((call) => call.join(' ') !== KUBECTL_VERSION.match);
  return kubectl;
}
const versionChecks = new Map<KubectlStandIn, () => number>();

interface TaskJson {
  name: string;
  usage_spec?: { cmd: { flags: Array<{ long: string[]; short: string[]; required: boolean }> } };
}

describe('mise.toml', () => {
  test('defines the six deploy tasks, each requiring --environment and --provider, without `mise trust`', () => {
    // WHEN listing the tasks on a machine that never trusted this checkout
    const list = mise(['tasks', 'ls', '--json']);

    // THEN all six are there
    expect(list.stderr).not.toContain('not trusted');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as TaskJson[]).map((t) => t.name).sort()).toEqual([...TASKS].sort());

    // AND each takes -e/--environment and -p/--provider as required flags
    for (const task of TASKS) {
      const info = mise(['tasks', 'info', task, '--json']);
      const flags = (JSON.parse(info.stdout) as TaskJson).usage_spec!.cmd.flags;
      const required = flags.filter((f) => f.required).map((f) => `-${f.short[0]} --${f.long[0]}`);
      expect([task, required]).toEqual([task, ['-e --environment', '-p --provider']]);
    }
  });

  test('mise refuses a task without --provider before running anything', () => {
    const kubectl = standIn([ANYTHING_ELSE_SUCCEEDS]);
    const run = mise(['run', 'status', '--environment', 'dev'], kubectl);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Missing required flag: --provider <provider>');
    expect(kubectl.calls()).toEqual([]);
  });
});

describe('the mise tasks', () => {
  // `dist` is built in-process while the tests are collected (concurrent tests may start before beforeAll):
  // the reference for deploy:build and the input of the other tasks.
  const dist = mkdtempSync(join(tmpdir(), 'restate-stack-mise-dist-'));
  const built = mkdtempSync(join(tmpdir(), 'restate-stack-mise-built-'));
  runSynth({ environment: 'dev', provider: 'vultr', valuesDir: deployValues(), outdir: dist, allowStorageChange: false });
  // preview and promote refuse the shipped example gitops.repoURL: the tasks read a values copy that sets one
  const VALUES = ['--values-dir', deployValues()];
  afterAll(() => [dist, built].forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  test.concurrent(
    'deploy:build synthesizes the target exactly as npm run synth does',
    async () => {
      // WHEN building dev/vultr through mise (the short form, without `run`)
      const run = await miseTask(['deploy:build', '--environment', 'dev', '--provider', 'vultr', ...VALUES, '--dist', built]);

      // THEN the target folder holds what the synth writes for it
      expect(run.stderr).not.toContain('ERROR');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`synthesized ${join(built, 'dev', 'vultr')}: new`);
      expect(Object.keys(readTree(built))).toEqual([
        OUTPUT_MARKER,
        'dev/vultr/0000-operator.k8s.yaml',
        'dev/vultr/0001-cluster.k8s.yaml',
        'dev/vultr/argocd/application.yaml',
        'dev/vultr/argocd/appproject.yaml',
        'dev/vultr/argocd/patches/argocd-cm.yaml',
      ]);
      expect(readTree(built)).toEqual(readTree(dist));
    },
    TASK_TIMEOUT_MS,
  );

  test.concurrent(
    'deploy:preview passes --dist, --context and --force-conflicts through to kubectl diff',
    async () => {
      const kubectl = standIn([ANYTHING_ELSE_SUCCEEDS]);
      const run = await miseTask(
        ['run', 'deploy:preview', '-e', 'dev', '-p', 'vultr', ...VALUES, '--dist', dist, '--context', 'restate-dev', '--force-conflicts'],
        kubectl,
      );
      expect(run.code).toBe(0);
      // (first the check that the kubeconfig holds the context, which the command line makes once)
      expect(kubectl.calls()).toEqual([
        ['config', 'get-contexts', 'restate-dev', '-o', 'name'],
        ...['0000-operator.k8s.yaml', '0001-cluster.k8s.yaml'].map((name) => [
          '--context',
          'restate-dev',
          'diff',
          '--server-side',
          '--field-manager=restate-stack',
          '--force-conflicts',
          '-f',
          join(dist, 'dev', 'vultr', name),
        ]),
      ]);
    },
    TASK_TIMEOUT_MS,
  );

  test.concurrent(
    'deploy:promote passes --timeout through, and fails with the wait that timed out',
    async () => {
      const kubectl = standIn([
        { match: 'config current-context', stdout: 'restate-dev\n' },
        {
          match: '*wait --for=create crd/restateclusters.restate.dev*',
          exit: 1,
          stderr: 'error: timed out waiting for the condition on customresourcedefinitions/restateclusters.restate.dev\n',
        },
        ANYTHING_ELSE_SUCCEEDS,
      ]);
      const run = await miseTask(
        ['run', 'deploy:promote', '--environment', 'dev', '--provider', 'vultr', ...VALUES, '--dist', dist, '--timeout', '7'],
        kubectl,
      );
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('timed out after 7s waiting for CRD restateclusters.restate.dev to exist');
      expect(kubectl.calls().slice(-1)).toEqual([
        ['--context', 'restate-dev', 'wait', '--for=create', 'crd/restateclusters.restate.dev', '--timeout=7s'],
      ]);
    },
    TASK_TIMEOUT_MS,
  );

  test.concurrent(
    'provision passes --allow-context-mismatch and --timeout (the script deadline) through',
    async () => {
      const kubectl = standIn([
        { match: 'config current-context', stdout: 'kind-local\n' },
        { match: '*exec -i restate-0*', stdout: 'provision: done\n' },
        ANYTHING_ELSE_SUCCEEDS,
      ]);
      const run = await miseTask(['run', 'provision', '-e', 'dev', '-p', 'vultr', '--allow-context-mismatch', '--timeout', '9'], kubectl);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('warning: kube context is "kind-local"');
      expect(kubectl.calls()[1]).toEqual(['config', 'get-contexts', 'kind-local', '-o', 'name']);
      expect(kubectl.calls()[2]).toEqual([
        '--context',
        'kind-local',
        '-n',
        'restate-dev',
        'exec',
        '-i',
        'restate-0',
        '--',
        'sh',
        '-s',
        '--',
        '--address',
        'http://127.0.0.1:5122',
        '--deadline',
        '9',
        '--replicas',
        '3',
        '--ensure-replication',
        '2',
      ]);
    },
    TASK_TIMEOUT_MS,
  );

  test.concurrent(
    'recover passes --node, and without a terminal refuses unless --yes; --yes and --timeout pass through',
    async () => {
      const cluster = [
        { match: 'config current-context', stdout: 'restate-dev\n' },
        { match: '*get pods -l *', stdout: 'restate-0\tTrue\t\t0\nrestate-1\tTrue\t\t0\nrestate-2\tFalse\tCrashLoopBackOff\t4\n' },
        {
          match: '*logs restate-2 --previous*',
          stdout: 'Detected data loss for log-server of my node N3. The log-server marker is missing\n',
        },
        { match: "*WHERE name = 'restate-2'*", stdout: '[{"plain_node_id":"N3","name":"restate-2"}]\n' },
        { match: "*WHERE plain_node_id = 'N3'*", stdout: '[{"plain_node_id":"N3","storage_state":"read-write"}]\n' },
        ANYTHING_ELSE_SUCCEEDS,
      ];
      // WHEN run without --yes (mise's standard input is no terminal here)
      const asked = standIn(cluster);
      const refused = await miseTask(['run', 'recover', '-e', 'dev', '-p', 'vultr', '--node', 'restate-2'], asked);
      // THEN it refuses with exit 2, having only read
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('there is no terminal to ask on: pass --yes');
      expect(asked.calls().some((argv) => argv.includes('set-storage-state'))).toBe(false);
      // WHEN run with --yes and --timeout 1 against a storage state that never changes
      const run = standIn(cluster);
      const stuck = await miseTask(['run', 'recover', '-e', 'dev', '-p', 'vultr', '--node', 'restate-2', '--yes', '--timeout', '1'], run);
      // THEN the first step ran and its wait gave up after 1 s
      expect(stuck.code).toBe(1);
      expect(stuck.stderr).toContain('timed out after 1s waiting until N3 has storage state disabled');
      expect(run.calls().filter((argv) => argv.includes('set-storage-state'))).toHaveLength(1);
    },
    TASK_TIMEOUT_MS,
  );

  test.concurrent(
    'status refuses a mismatched context without the override, calling nothing else',
    async () => {
      const kubectl = standIn([{ match: 'config current-context', stdout: 'kind-local\n' }]);
      const run = await miseTask(['run', 'status', '-e', 'dev', '-p', 'vultr'], kubectl);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('refusing to run: kube context is "kind-local"');
      expect(kubectl.calls()).toEqual([['config', 'current-context']]);
      expect(versionChecks.get(kubectl)!()).toBe(1);
    },
    TASK_TIMEOUT_MS,
  );
});
