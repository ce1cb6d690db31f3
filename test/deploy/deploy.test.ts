import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { DeployArgs } from '../../lib/deploy/args';
import { runDeploy } from '../../lib/deploy/commands';
import { KubectlProcess } from '../../lib/deploy/process';
import { clusterPodsArgs } from '../../lib/deploy/recover';
import { PROVISION_SCRIPT_PATH } from '../../lib/stack/provisioning/script';
import { runSynth } from '../../lib/synth/run';
import { ANYTHING_ELSE_SUCCEEDS, type Rule, STAND_IN_DIR } from '../fixtures/kubectl-stand-in';
import { deployWithStandIn, type DeployRun, ROLLED_OUT, rolloutReads, rolloutRules } from '../support/deploy-run';
import { DeployValuesDir, deployValues } from '../support/deploy-values';
import { FIXTURE_VALUES, ValuesDir } from '../support/values-dir';

// One synthesized dist for the whole file: dev/vultr (argocd delivery, manual provisioning), prod/vultr
// (automated provisioning: the stack adds 0002-provisioning) and, from a values copy, dev/vultr with the helm
// delivery.
const dist = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-'));
const helmDist = join(dist, 'helm');
const helmValues = new DeployValuesDir().set('base.yaml', ['operator', 'delivery'], 'helm');
beforeAll(() => {
  runSynth({ environment: 'dev', provider: 'vultr', valuesDir: deployValues(), outdir: dist, allowStorageChange: false });
  runSynth({ environment: 'prod', provider: 'vultr', valuesDir: deployValues(), outdir: dist, allowStorageChange: false });
  runSynth(
    { environment: 'dev', provider: 'vultr', valuesDir: helmValues.path, outdir: helmDist, allowStorageChange: false },
    { helmExecutable: join(STAND_IN_DIR, 'helm') },
  );
});
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
  helmValues.remove();
});

const DEV = join(dist, 'dev', 'vultr');
const PROD = join(dist, 'prod', 'vultr');
const file = (folder: string, name: string) => join(folder, name);
const CTX = ['--context', 'restate-dev'];
const PROD_CTX = ['--context', 'restate-prod'];

type Run = DeployRun;

const standIns: Array<{ remove(): void }> = [];
afterEach(() => standIns.splice(0).forEach((s) => s.remove()));

/** Runs one deploy command of dev/vultr in-process against the stand-in kubectl answering with `rules`. */
function deploy(command: DeployArgs['command'], rules: readonly Rule[], overrides: Partial<DeployArgs> = {}): Run {
  return deployWithStandIn(command, rules, { dist, provider: 'vultr', cleanup: standIns, overrides });
}

const currentContext = (name: string): Rule => ({ match: 'config current-context', stdout: `${name}\n` });

describe('preview', () => {
  test('diffs every file server-side with the stack field manager, in promote order, and reads exit 1 as differences', () => {
    // GIVEN a cluster where the RestateCluster differs from the target
    const rules = [
      currentContext('restate-dev'),
      { match: '*diff*0001-cluster.k8s.yaml', exit: 1, stdout: '-  replicas: 3\n+  replicas: 5\n' },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN previewing dev/vultr
    const run = deploy('preview', rules);

    // THEN both files are diffed in order, and the differences are shown without failing
    expect(run.calls).toEqual([
      ['config', 'current-context'],
      [...CTX, 'diff', '--server-side', '--field-manager=restate-stack', '-f', file(DEV, '0000-operator.k8s.yaml')],
      [...CTX, 'diff', '--server-side', '--field-manager=restate-stack', '-f', file(DEV, '0001-cluster.k8s.yaml')],
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${file(DEV, '0001-cluster.k8s.yaml')}: differences:`);
    expect(run.out).toContain('+  replicas: 5');
    expect(run.out).toContain('preview: 1 file(s) would change the cluster');
  });

  // The real server's answers (a missing CRD, a field-manager conflict) are in
  // test/control-plane/deploy-promote.live.test.ts; here, which hint follows which of them.
  test.each([
    ['a missing CRD', 'error: resource mapping not found for kind "RestateCluster" in version "restate.dev/v1"\n', 'never been promoted'],
    [
      'a field-manager conflict',
      'Error from server (Conflict): Apply failed with 1 conflict: conflict with "kubectl-edit" using restate.dev/v1: .spec.compute.replicas\n',
      'pass --force-conflicts',
    ],
  ])('a kubectl diff failure (%s) fails the preview after diffing the remaining files, with the hint for it', (_, stderr, hint) => {
    // GIVEN a cluster that refuses the RestateCluster's dry-run
    const rules = [
      currentContext('restate-dev'),
      { match: '*diff*0001-cluster.k8s.yaml', exit: 2, stderr },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN previewing
    const run = deploy('preview', rules);

    // THEN it exits 1, names the file and kubectl's reason, and gives the one hint that fits
    expect(run.code).toBe(1);
    expect(run.calls).toHaveLength(3);
    expect(run.err).toContain(`${file(DEV, '0001-cluster.k8s.yaml')}: kubectl diff failed (exit 2)`);
    expect(run.err).toContain(stderr.trim());
    expect(run.err).toContain(hint);
    expect(run.err.match(/never been promoted|pass --force-conflicts/g)).toHaveLength(1);
  });

  test('a cluster that does not answer stops the preview at the first file, saying so, not "never been promoted"', () => {
    // GIVEN a kube context whose server refuses connections (the real kubectl 1.37's words and exit status for it)
    const stderr =
      'error: unable to recognize "0000-operator.k8s.yaml": Get "https://127.0.0.1:1/api?timeout=32s": dial tcp 127.0.0.1:1: ' +
      'connect: connection refused\n';
    const rules = [currentContext('restate-dev'), { match: '*diff*', exit: 2, stderr }, ANYTHING_ELSE_SUCCEEDS];
    // WHEN previewing
    const run = deploy('preview', rules);
    // THEN one diff was tried, and the hint names the context and what to check
    expect(run.code).toBe(1);
    expect(run.calls.filter((argv) => argv.includes('diff'))).toHaveLength(1);
    expect(run.err).toContain('preview: kubectl diff failed for 1 of the files. The cluster of kube context "restate-dev" did not answer');
    expect(run.err).toContain('`kubectl config view --minify --context restate-dev`');
    expect(run.err).not.toContain('never been promoted');
  });

  test('--force-conflicts is passed to every diff', () => {
    const run = deploy('preview', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { forceConflicts: true });
    expect(run.calls.slice(1).map((argv) => argv.slice(2, 6))).toEqual([
      ['diff', '--server-side', '--field-manager=restate-stack', '--force-conflicts'],
      ['diff', '--server-side', '--field-manager=restate-stack', '--force-conflicts'],
    ]);
  });
});

describe('the kube context check', () => {
  test('refuses to run against a context other than deploy.kubeContext, and calls nothing after the check', () => {
    // GIVEN kubectl pointing at another cluster
    const rules = [currentContext('prod-admin'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS];

    // WHEN promoting dev
    const run = deploy('promote', rules);

    // THEN it refuses with both names and the ways out
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([['config', 'current-context']]);
    expect(run.err).toContain('refusing to run: kube context is "prod-admin" but deploy.kubeContext of environment "dev"');
    expect(run.err).toContain('is "restate-dev"');
    expect(run.err).toContain('kubectl config use-context restate-dev');
    expect(run.err).toContain('--allow-context-mismatch');
  });

  test('--allow-context-mismatch goes on with a warning, naming the current context on every call', () => {
    const run = deploy('preview', [currentContext('prod-admin'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { allowContextMismatch: true });
    expect(run.code).toBe(0);
    expect(run.err).toContain('warning: kube context is "prod-admin"');
    expect(run.calls.slice(1).every((argv) => argv[0] === '--context' && argv[1] === 'prod-admin')).toBe(true);
    expect(run.calls).toHaveLength(3);
  });

  test('--context names the context without asking kubectl for its current one', () => {
    const run = deploy('preview', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { context: 'restate-dev' });
    expect(run.code).toBe(0);
    expect(run.calls.map((argv) => argv.slice(0, 3))).toEqual([
      [...CTX, 'diff'],
      [...CTX, 'diff'],
    ]);
  });

  test('kubectl without a current context is a clear error', () => {
    const run = deploy('status', [{ match: 'config current-context', exit: 1, stderr: 'error: current-context is not set\n' }]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('kubectl has no current context. Pass --context restate-dev');
  });
});

describe('a missing kubectl', () => {
  test('is reported as such, with where to get it', () => {
    // GIVEN a PATH without kubectl
    const empty = mkdtempSync(join(tmpdir(), 'restate-stack-nopath-'));
    const out: string[] = [];
    const err: string[] = [];
    try {
      // WHEN previewing
      const code = runDeploy(
        {
          command: 'preview',
          environment: 'dev',
          provider: 'vultr',
          valuesDir: deployValues(),
          dist,
          allowContextMismatch: false,
          timeoutSeconds: 300,
          forceConflicts: false,
        },
        { kubectl: new KubectlProcess({ PATH: empty }), report: { info: (l) => out.push(l), warn: (l) => err.push(l) } },
      );

      // THEN it fails with a message naming kubectl and PATH
      expect(code).toBe(1);
      expect(err.join('\n')).toContain('preview: kubectl not found on PATH. Install kubectl (1.31 or later');
      expect(out).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** Every call of a successful promote of dev/vultr (argocd delivery, manual provisioning, 3 replicas). */
function devPromoteCalls(): string[][] {
  const ns = ['-n', 'restate-dev'];
  const op = ['-n', 'restate-operator'];
  const wait = (prefix: string[], condition: string, object: string) => [
    ...CTX,
    ...prefix,
    'wait',
    `--for=${condition}`,
    object,
    '--timeout=300s',
  ];
  const pods = [0, 1, 2].flatMap((i) => [
    wait(ns, 'create', `pod/restate-${i}`),
    wait(ns, 'jsonpath={.status.phase}=Running', `pod/restate-${i}`),
  ]);
  return [
    ['config', 'current-context'],
    [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', file(DEV, '0000-operator.k8s.yaml')],
    wait([], 'create', 'crd/restateclusters.restate.dev'),
    wait([], 'condition=Established', 'crd/restateclusters.restate.dev'),
    wait([], 'create', 'crd/restatedeployments.restate.dev'),
    wait([], 'condition=Established', 'crd/restatedeployments.restate.dev'),
    wait(op, 'create', 'deployment/restate-operator'),
    wait(op, 'condition=Available', 'deployment/restate-operator'),
    [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', file(DEV, '0001-cluster.k8s.yaml')],
    wait([], 'create', 'namespace/restate-dev'),
    ...pods,
    [
      ...CTX,
      ...ns,
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
      '300',
      '--replicas',
      '3',
      '--ensure-replication',
      '2',
    ],
    [...CTX, ...ns, 'exec', 'restate-0', '--', 'restatectl', 'status', '--address', 'http://127.0.0.1:5122'],
    ...rolloutReads('restate-dev').map((read) => [...CTX, ...read]),
    // Ready is the pods' /health: then every partition must have a leader (the same script, --wait-serving)
    [
      ...CTX,
      ...ns,
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
      '300',
      '--replicas',
      '3',
      '--wait-serving',
    ],
    // any further chart of the target (add-ons such as monitoring) comes after Ready, in file order
    ...readdirSync(DEV)
      .filter((name) => /^\d{4}-[a-z-]+\.k8s\.yaml$/.test(name) && !/^\d{4}-(operator|cluster)\.k8s\.yaml$/.test(name))
      .sort()
      .map((name) => [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', file(DEV, name)]),
  ];
}

describe('promote', () => {
  test('applies and waits in order: operator, CRDs, operator Deployment, cluster, pods, provisioning, Ready', () => {
    // GIVEN a cluster that answers every step
    const rules = [
      currentContext('restate-dev'),
      { match: '*exec -i restate-0*', stdout: 'provision: done: the cluster is provisioned (restatectl status exits 0)\n' },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN promoting dev/vultr
    const run = deploy('promote', rules);

    // THEN every call is exactly as planned, the script went in on stdin, and progress was shown
    // (and no warning: the shipped values draw none)
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(devPromoteCalls());
    const execCall = run.calls.findIndex((argv) => argv.includes('-i')) + 1;
    expect(run.kubectl.stdin(execCall)).toBe(readFileSync(PROVISION_SCRIPT_PATH, 'utf8'));
    expect(run.out).toMatch(/^\[1\/\d+\] applying operator \(argocd delivery\): .*0000-operator\.k8s\.yaml$/m);
    expect(run.out).toMatch(/^\[3\/\d+\] waiting up to 300s for CRD restateclusters\.restate\.dev to be Established$/m);
    expect(run.out).toMatch(/^\[16\/\d+\] provisioning$/m);
    expect(run.out).toMatch(
      /^\[17\/\d+\] waiting up to 300s for RestateCluster restate-dev to be Ready and StatefulSet restate-dev\/restate rolled out$/m,
    );
    expect(run.out).toContain('provision: done: the cluster is provisioned');
    expect(run.out).toContain('promoted dev/vultr: RestateCluster restate-dev is Ready');
  });

  test('a CRD that never becomes Established stops promote with the object, the likely cause and what to do', () => {
    // GIVEN a CRD whose wait times out
    const rules = [
      currentContext('restate-dev'),
      {
        match: '*wait --for=condition=Established crd/restateclusters.restate.dev*',
        exit: 1,
        stderr: 'error: timed out waiting for the condition on customresourcedefinitions/restateclusters.restate.dev\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN promoting
    const run = deploy('promote', rules, { timeoutSeconds: 42 });

    // THEN it stops right after that wait, before the cluster is applied
    expect(run.code).toBe(1);
    expect(run.calls).toHaveLength(4);
    expect(run.calls[3]).toEqual([...CTX, 'wait', '--for=condition=Established', 'crd/restateclusters.restate.dev', '--timeout=42s']);
    expect(run.err).toContain('timed out after 42s waiting for CRD restateclusters.restate.dev to be Established');
    expect(run.err).toContain(
      'likely cause: the API server has not accepted the CRD from Argo CD, which may not have synced the operator Application yet',
    );
    expect(run.err).toContain('kubectl -n argocd get applications');
    expect(run.err).toContain('run promote again');
  });

  test('a CRD whose conditions the API server has not written yet is waited for again, not reported as a failure', () => {
    // GIVEN kubectl's answer for a CRD created a moment ago (status.conditions still null), twice, then Established
    const notYet = 'error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}\n';
    const rules = [
      currentContext('restate-dev'),
      { match: '*wait --for=condition=Established crd/restateclusters.restate.dev*', exit: 1, stderr: notYet, times: 2 },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN promoting with 42 s for each wait
    const run = deploy('promote', rules, { timeoutSeconds: 42 });

    // THEN promote succeeds: the wait ran three times, each time with what was left of its 42 s (10 s a look)
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const established = run.calls.filter(
      (argv) => argv.includes('crd/restateclusters.restate.dev') && argv.includes('--for=condition=Established'),
    );
    expect(established.map((argv) => argv[argv.length - 1])).toEqual(['--timeout=42s', '--timeout=32s', '--timeout=22s']);
  });

  test('a CRD whose conditions never get written times out at its deadline with the likely cause', () => {
    const notYet = 'error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}\n';
    const rules = [
      currentContext('restate-dev'),
      { match: '*wait --for=condition=Established crd/restateclusters.restate.dev*', exit: 1, stderr: notYet },
      ANYTHING_ELSE_SUCCEEDS,
    ];

    const run = deploy('promote', rules, { timeoutSeconds: 25 });

    expect(run.code).toBe(1);
    expect(run.calls.filter((argv) => argv.includes('--for=condition=Established'))).toHaveLength(3);
    expect(run.err).toContain('timed out after 25s waiting for CRD restateclusters.restate.dev to be Established');
    expect(run.err).toContain('likely cause: the API server has not accepted the CRD');
  });

  test('a pod deleted and created again by a rolling update while promote waits for it to run is waited for, not a failure', () => {
    // GIVEN restate-1 existed (its create wait passed), and the StatefulSet controller deletes it for the new template
    // just as the Running wait starts: the first look finds nothing, the next finds it Running
    const gone = 'Error from server (NotFound): pods "restate-1" not found\n';
    const rules = [
      currentContext('restate-dev'),
      { match: '*jsonpath={.status.phase}=Running pod/restate-1*', exit: 1, stderr: gone, times: 1 },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN promoting with 42 s for each wait
    const run = deploy('promote', rules, { timeoutSeconds: 42 });

    // THEN promote succeeds: the Running wait looked again with what was left of its 42 s
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const running = run.calls.filter((argv) => argv.includes('pod/restate-1') && argv.includes('--for=jsonpath={.status.phase}=Running'));
    expect(running.map((argv) => argv[argv.length - 1])).toEqual(['--timeout=42s', '--timeout=32s']);
  });

  test('a pod that stays gone after its creation was seen times out at the deadline with the likely cause', () => {
    const gone = 'Error from server (NotFound): pods "restate-1" not found\n';
    const rules = [
      currentContext('restate-dev'),
      { match: '*jsonpath={.status.phase}=Running pod/restate-1*', exit: 1, stderr: gone },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules, { timeoutSeconds: 25 });
    expect(run.code).toBe(1);
    expect(run.err).toContain('timed out after 25s waiting for pod restate-dev/restate-1 to be Running');
    expect(run.err).toContain('kubectl: Error from server (NotFound): pods "restate-1" not found');
  });

  test("a wait that fails without timing out shows kubectl's reason, not a guessed cause", () => {
    const rules = [
      currentContext('restate-dev'),
      {
        match: '*wait --for=create namespace/restate-dev*',
        exit: 1,
        stderr: 'Error from server (Forbidden): namespaces "restate-dev" is forbidden\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules);
    expect(run.code).toBe(1);
    expect(run.err).toContain('could not wait for namespace restate-dev (created by the operator) to exist (kubectl exit 1).');
    expect(run.err).toContain('kubectl: Error from server (Forbidden): namespaces "restate-dev" is forbidden');
    expect(run.err).not.toContain('likely cause');
  });

  test('a pod that never runs names the pod and points at volumes and the image', () => {
    const rules = [
      currentContext('restate-dev'),
      {
        match: '*jsonpath={.status.phase}=Running pod/restate-1*',
        exit: 1,
        stderr: 'error: timed out waiting for the condition on pods/restate-1\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules);
    expect(run.code).toBe(1);
    expect(run.err).toContain('waiting for pod restate-dev/restate-1 to be Running');
    expect(run.err).toContain('does StorageClass vultr-block-storage exist?');
    expect(run.err).toContain('cannot pull restatedev/restate:1.4.4');
    expect(run.calls[run.calls.length - 1]).toContain('pod/restate-1');
  });

  test("a failing provisioning step stops promote before waiting for Ready, with the script's reason", () => {
    const rules = [
      currentContext('restate-dev'),
      {
        match: '*exec -i restate-0*',
        exit: 1,
        stdout: 'provision: attempt 1: not provisioned yet\n',
        stderr:
          'provision: error: the cluster was not provisioned within the deadline of 300s; last output from restatectl:\n[ERR]: Failed to provision cluster\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules);
    expect(run.code).toBe(1);
    expect(run.err).toContain('provisioning through pod restate-dev/restate-0 failed (exit 1): [ERR]: Failed to provision cluster');
    expect(run.calls.some((argv) => argv.includes('restatecluster/restate-dev'))).toBe(false);
  });

  test('a cluster that does not answer fails the first apply, saying so and how to check the context', () => {
    // GIVEN a kube context whose server refuses connections (the real kubectl 1.37's words for an apply)
    const stderr =
      'error: error validating "0000-operator.k8s.yaml": error validating data: failed to download openapi: Get ' +
      '"https://127.0.0.1:1/openapi/v2?timeout=32s": dial tcp 127.0.0.1:1: connect: connection refused\n';
    const rules = [currentContext('restate-dev'), { match: '*apply*', exit: 1, stderr }, ANYTHING_ELSE_SUCCEEDS];
    // WHEN promoting
    const run = deploy('promote', rules);
    // THEN it stops at the first apply with kubectl's words and the same hint as preview and status
    expect(run.code).toBe(1);
    expect(run.calls.slice(1)).toHaveLength(1);
    expect(run.err).toContain('connect: connection refused');
    expect(run.err).toContain(
      `The cluster of kube context "restate-dev" did not answer, so server-side apply of ${file(DEV, '0000-operator.k8s.yaml')} was not done.`,
    );
    expect(run.err).toContain('`kubectl config view --minify --context restate-dev`');
    expect(run.err).toContain('then run promote again');
  });

  // The real server's conflict, and --force-conflicts taking the field back: test/control-plane/deploy-promote.live.test.ts.
  test('--force-conflicts is passed to every apply when asked, and to none otherwise', () => {
    const plain = deploy('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS]);
    const forced = deploy('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { forceConflicts: true });
    const applies = (run: Run) => run.calls.filter((argv) => argv.includes('apply'));
    expect(applies(plain)).toHaveLength(2);
    expect(applies(plain).some((argv) => argv.includes('--force-conflicts'))).toBe(false);
    expect(applies(forced)).toHaveLength(2);
    expect(applies(forced).every((argv) => argv.includes('--force-conflicts'))).toBe(true);
  });

  test('with the helm delivery the operator comes from our file: no waiting for objects to appear', () => {
    // WHEN promoting the helm-delivery build
    const run = deployWithStandIn('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {
      dist: helmDist,
      provider: 'vultr',
      cleanup: standIns,
      overrides: { valuesDir: helmValues.path },
      helmExecutable: join(STAND_IN_DIR, 'helm'),
    });

    // THEN the CRDs and the Deployment are waited for directly, right after the operator file
    const helmDev = join(helmDist, 'dev', 'vultr');
    expect(run.code).toBe(0);
    expect(run.calls.slice(1, 6)).toEqual([
      [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', file(helmDev, '0000-operator.k8s.yaml')],
      [...CTX, 'wait', '--for=condition=Established', 'crd/restateclusters.restate.dev', '--timeout=300s'],
      [...CTX, 'wait', '--for=condition=Established', 'crd/restatedeployments.restate.dev', '--timeout=300s'],
      [...CTX, '-n', 'restate-operator', 'wait', '--for=condition=Available', 'deployment/restate-operator', '--timeout=300s'],
      [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', file(helmDev, '0001-cluster.k8s.yaml')],
    ]);
  });

  test('a stale Ready is not enough: promote waits until the StatefulSet rolled out, printing which pods are ready', () => {
    // GIVEN a re-apply: Ready is still True from before, the StatefulSet rolls from restate-1 to restate-2
    const rules = [
      currentContext('restate-dev'),
      { match: '*exec -i restate-0*', stdout: 'provision: done: the cluster is already provisioned, nothing to do\n' },
      ...rolloutRules('restate-dev', 3, {
        generation: 3,
        observedGeneration: 2,
        readyPods: 3,
        updatedPods: 0,
        currentRevision: 'restate-1',
        times: 1,
      }),
      ...rolloutRules('restate-dev', 3, { readyPods: 2, updatedPods: 1, currentRevision: 'restate-1', times: 2 }),
      ...rolloutRules('restate-dev', 3),
      ANYTHING_ELSE_SUCCEEDS,
    ];
    // WHEN promoting
    const run = deploy('promote', rules);
    // THEN it polled four times, said what it saw each time the picture changed, and finished on the rolled-out state
    expect(run.code).toBe(0);
    expect(run.calls.filter((argv) => argv.includes('statefulset/restate'))).toHaveLength(4);
    expect(run.out).toContain(
      'waiting up to 300s for RestateCluster restate-dev to be Ready and StatefulSet restate-dev/restate rolled out',
    );
    expect(run.out).toContain(
      'StatefulSet generation 3 not observed yet (2); 0/3 updated; rolling from restate-1 to restate-2 ' +
        '[restate-0 ready (old revision), restate-1 ready (old revision), restate-2 ready (old revision)]',
    );
    expect(run.out).toContain(
      '1/3 updated; 2/3 ready; rolling from restate-1 to restate-2 [restate-0 ready, restate-1 ready (old revision), restate-2 not ready (old revision)]',
    );
    expect(run.out.match(/1\/3 updated; 2\/3 ready/g)).toHaveLength(1);
    expect(run.out).toContain('Ready, 3/3 pods ready at revision restate-2 [restate-0 ready, restate-1 ready, restate-2 ready]');
  });

  test("a wait for a state the stand-in never reports ends at its deadline on the tests' clock, naming what is missing", () => {
    // GIVEN dev/vultr (3 replicas) and a stand-in whose StatefulSet keeps 2: the shape of what held `npm test` for
    // 20 minutes when the tests read the user's values, those said 5 and the stand-in said 3
    const rules = [
      currentContext('restate-dev'),
      { match: '*exec -i restate-0*', stdout: 'provision: done\n' },
      ...rolloutRules('restate-dev', 2),
      ANYTHING_ELSE_SUCCEEDS,
    ];
    // WHEN promoting with the default 300 s, on the instant clock of the stand-in tests
    const run = deploy('promote', rules);
    // THEN it looked every 10 s of that clock until the deadline (31 looks) and failed with the real message
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      'timed out after 300s waiting for RestateCluster restate-dev to be Ready and rolled out: StatefulSet wants 2 replicas, not 3; 2/3 updated; 2/3 ready',
    );
    expect(run.calls.filter((argv) => argv.includes('statefulset/restate'))).toHaveLength(31);
  });

  test('with automated provisioning it replaces the previous Job, applies the provisioning file and waits for the Job', () => {
    // WHEN promoting prod/vultr (provisioning.automated: true, 5 replicas)
    const run = deploy('promote', [currentContext('restate-prod'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { environment: 'prod' });

    // THEN no exec into the pods until the rollout is done (then only the partition-health gate); the Job steps
    // come between the last pod and Ready
    expect(run.code).toBe(0);
    const execs = run.calls.filter((argv) => argv.includes('exec'));
    expect(execs).toEqual([
      [
        ...PROD_CTX,
        '-n',
        'restate-prod',
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
        '300',
        '--replicas',
        '5',
        '--wait-serving',
      ],
    ]);
    const op = ['-n', 'restate-operator'];
    const lastPod = run.calls.findIndex(
      (argv) => argv.includes('pod/restate-4') && argv.includes('--for=jsonpath={.status.phase}=Running'),
    );
    expect(run.calls.slice(lastPod + 1, lastPod + 5)).toEqual([
      [...PROD_CTX, ...op, 'delete', 'job/restate-prod-provision', '--ignore-not-found', '--timeout=300s'],
      [...PROD_CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', file(PROD, '0002-provisioning.k8s.yaml')],
      [...PROD_CTX, ...op, 'wait', '--for=condition=Complete', 'job/restate-prod-provision', '--timeout=300s'],
      [...PROD_CTX, ...rolloutReads('restate-prod')[0]],
    ]);
  });

  test('a provisioning Job that does not complete is reported with its last log lines', () => {
    const rules = [
      currentContext('restate-prod'),
      {
        match: '*wait --for=condition=Complete job/restate-prod-provision*',
        exit: 1,
        stderr: 'error: timed out waiting for the condition on jobs/restate-prod-provision\n',
      },
      {
        match: '*logs job/restate-prod-provision --tail=20',
        stdout: 'provision: attempt 7 failed: error trying to connect: tcp connect error\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules, { environment: 'prod' });
    expect(run.code).toBe(1);
    expect(run.calls[run.calls.length - 1]).toEqual([
      ...PROD_CTX,
      '-n',
      'restate-operator',
      'logs',
      'job/restate-prod-provision',
      '--tail=20',
    ]);
    expect(run.err).toContain('timed out after 300s waiting for provisioning Job restate-operator/restate-prod-provision to complete');
    expect(run.err).toContain('networkPeers');
    expect(run.err).toContain('provision: attempt 7 failed: error trying to connect');
  });

  test("a provisioning Job whose logs are empty (its pod never started) is reported with its pods' phase", () => {
    // GIVEN the real server's answer for a Job whose pod is Pending: `kubectl logs` exits 0 with nothing
    // (test/control-plane/deploy-promote.live.test.ts)
    const rules = [
      currentContext('restate-prod'),
      {
        match: '*wait --for=condition=Complete job/restate-prod-provision*',
        exit: 1,
        stderr: 'error: timed out waiting for the condition on jobs/restate-prod-provision\n',
      },
      { match: '*logs job/restate-prod-provision --tail=20', stdout: '' },
      {
        match: '*get pods -l batch.kubernetes.io/job-name=restate-prod-provision -o jsonpath=*',
        stdout: 'restate-prod-provision-x7k2p\tPending\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules, { environment: 'prod' });
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      '  last log lines of job/restate-prod-provision:\n    (no log output: restate-prod-provision-x7k2p Pending; a Pending pod has not started, ' +
        'see `kubectl -n restate-operator describe pods -l batch.kubernetes.io/job-name=restate-prod-provision`)',
    );
  });

  test('a target that was not built is refused before kubectl is called', () => {
    const run = deploy('promote', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { provider: 'kind' });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain('mise run deploy:build --environment dev --provider kind');
  });
});

describe("the values' warnings", () => {
  test("the deploy commands print the values' own warnings as synth does, leaving out the acknowledged ones", () => {
    // GIVEN a floating image tag, an acknowledged even replica count, and an acknowledgement that fires nowhere
    const values = new ValuesDir()
      .set('environments/dev.yaml', ['image'], 'restatedev/restate:1.4')
      .set('environments/dev.yaml', ['replicas'], 4)
      .set('environments/dev.yaml', ['warnings'], { acknowledge: { 'even-replicas': 'a fourth node for a week', 'open-admin': 'none' } });
    try {
      // WHEN status runs (it needs the values only)
      const run = deploy('status', [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], { valuesDir: values.path });
      // THEN the one line of the floating tag, and nothing of the acknowledged warning or of the unused acknowledgement
      // (only synth and plan know every warning of a target, so only they call one unused)
      expect(run.err.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([
        'warning: floating-image-tag on dev/vultr: image tag 1.4 may move; pin a patch, e.g. 1.4.4 (docs/warnings.md#floating-image-tag)',
      ]);
    } finally {
      values.remove();
    }
  });
});

describe('the shipped example gitops.repoURL', () => {
  // The repository's own values, as a fresh clone has them: dev/vultr (argocd delivery) and dev/kind (flux).
  const shipped = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-shipped-'));
  runSynth({ environment: 'dev', provider: 'vultr', valuesDir: FIXTURE_VALUES, outdir: shipped, allowStorageChange: false });
  runSynth({ environment: 'dev', provider: 'kind', valuesDir: FIXTURE_VALUES, outdir: shipped, allowStorageChange: false });
  afterAll(() => rmSync(shipped, { recursive: true, force: true }));

  test.each(['preview', 'promote'] as const)(
    '%s refuses an Argo CD target that still carries it, naming the key and the file to edit, before kubectl is called',
    (command) => {
      const run = deploy(command, [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: shipped, valuesDir: FIXTURE_VALUES });
      expect(run.code).toBe(2); // ExitCode.INVALID_INPUT
      expect(run.calls).toEqual([]);
      const base = relative(process.cwd(), join(FIXTURE_VALUES, 'base.yaml'));
      expect(run.err).toBe(
        `${command}: invalid values:\n` +
          `${base}: gitops.repoURL: is still the shipped example https://github.com/example/platform-gitops.git, ` +
          `and the Argo CD Applications in ${join(shipped, 'dev', 'vultr')}/argocd/ point at it: set your GitOps repository in ` +
          `${base}, run deploy:build, then try again (docs/gitops.md#set-your-repository-first)`,
      );
    },
  );

  test('an environment that sets its own repository passes, and the file named is the one that set it', () => {
    // GIVEN dev's overlay setting the example again (as a user who copied it would)
    const values = new DeployValuesDir().set('environments/dev.yaml', ['gitops'], {
      repoURL: 'https://github.com/example/platform-gitops',
    });
    try {
      const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-copy-'));
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: copy, allowStorageChange: false });
      // WHEN previewing THEN the refusal names the environment's file (the example matches without ".git" too)
      const refused = deploy('preview', [ANYTHING_ELSE_SUCCEEDS], { dist: copy, valuesDir: values.path });
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(`${join(values.path, 'environments', 'dev.yaml')}: gitops.repoURL: is still the shipped example`);
      // AND with the environment's own repository, preview runs
      values.set('environments/dev.yaml', ['gitops'], { repoURL: 'https://git.restate-stack.test/dev.git' });
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: copy, allowStorageChange: false });
      const run = deploy('preview', [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], { dist: copy, valuesDir: values.path });
      expect(run.code).toBe(0);
      rmSync(copy, { recursive: true, force: true });
    } finally {
      values.remove();
    }
  });

  test('a Flux target does not carry it, and passes', () => {
    const run = deploy('preview', [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], {
      provider: 'kind',
      dist: shipped,
      valuesDir: FIXTURE_VALUES,
    });
    expect(run.err).not.toContain('gitops.repoURL');
    expect(run.code).toBe(0);
  });
});

describe('the shipped example metrics.alerts.runbookBaseUrl', () => {
  test('preview and promote refuse a target whose alerts still link under it, naming the file that set it; set, it passes', () => {
    // GIVEN dev with the alerts on (metrics.enabled) and dev's overlay setting the example runbook base again
    const values = new DeployValuesDir().set('environments/dev.yaml', ['metrics'], {
      enabled: true,
      alerts: { runbookBaseUrl: 'https://github.com/example/restate-stack/blob/main/docs/runbooks.md/' },
    });
    const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-copy-'));
    try {
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: copy, allowStorageChange: false });
      // WHEN previewing or promoting THEN one error names dev's file, the key and what to do, before kubectl is called
      const file = join(values.path, 'environments', 'dev.yaml');
      for (const command of ['preview', 'promote'] as const) {
        const refused = deploy(command, [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: copy, valuesDir: values.path });
        expect(refused.code).toBe(2);
        expect(refused.calls).toEqual([]);
        expect(refused.err).toBe(
          `${command}: invalid values:\n` +
            `${file}: metrics.alerts.runbookBaseUrl: is still the shipped example https://github.com/example/restate-stack/blob/main/docs/runbooks.md/, ` +
            `and every alert's runbook_url in ${join(copy, 'dev', 'vultr')}/ points under it: set where your runbooks are served in ` +
            `${file}, run deploy:build, then try again (docs/runbooks.md#where-the-runbook-links-point)`,
        );
      }
      // AND with the alerts off, nothing carries it, and preview runs
      values.set('environments/dev.yaml', ['metrics', 'enabled'], false);
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: copy, allowStorageChange: false });
      const run = deploy('preview', [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], { dist: copy, valuesDir: values.path });
      expect(run.code).toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
      values.remove();
    }
  });
});

describe("the shipped example IRSA role (AWS's example account)", () => {
  test('preview and promote refuse a target whose pods would assume it, naming the file; another account passes', () => {
    // GIVEN prod/aws synthesized from values whose aws overlay keeps the shipped role
    const values = new DeployValuesDir().set(
      'providers/aws.yaml',
      ['objectStorage', 'credentials', 'serviceAccountAnnotations', 'eks.amazonaws.com/role-arn'],
      'arn:aws:iam::111122223333:role/restate-stack',
    );
    const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-copy-'));
    try {
      runSynth({ environment: 'prod', provider: 'aws', valuesDir: values.path, outdir: copy, allowStorageChange: false });
      // WHEN previewing or promoting THEN one error names the file, the annotation and what to do, before kubectl is called
      const file = join(values.path, 'providers', 'aws.yaml');
      for (const command of ['preview', 'promote'] as const) {
        const refused = deploy(command, [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {
          environment: 'prod',
          provider: 'aws',
          dist: copy,
          valuesDir: values.path,
        });
        expect(refused.code).toBe(2);
        expect(refused.calls).toEqual([]);
        expect(refused.err).toBe(
          `${command}: invalid values:\n` +
            `${file}: objectStorage.credentials.serviceAccountAnnotations["eks.amazonaws.com/role-arn"]: is still the shipped example ` +
            "arn:aws:iam::111122223333:role/restate-stack, a role in AWS's example account 111122223333, not yours, and the Restate " +
            `pods' service account in ${join(copy, 'prod', 'aws')}/ would assume it: set the role your cluster's workload identity ` +
            `grants them in ${file}, run deploy:build, then try again (docs/object-storage-and-credentials.md#set-your-role-first)`,
        );
      }
      // AND a role in another account passes that check (the refusal is gone from what preview prints)
      values.set(
        'providers/aws.yaml',
        ['objectStorage', 'credentials', 'serviceAccountAnnotations', 'eks.amazonaws.com/role-arn'],
        'arn:aws:iam::444455556666:role/r',
      );
      runSynth({ environment: 'prod', provider: 'aws', valuesDir: values.path, outdir: copy, allowStorageChange: false });
      const overrides = { environment: 'prod', provider: 'aws', dist: copy, valuesDir: values.path };
      const run = deploy('preview', [currentContext('restate-prod'), ANYTHING_ELSE_SUCCEEDS], overrides);
      expect(run.err).not.toContain('serviceAccountAnnotations');
      expect(run.code).toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
      values.remove();
    }
  });
});

describe('the target folder', () => {
  /** A scratch copy of the dev/vultr build that a test may change; `dist` of the copy. */
  const copies: string[] = [];
  function devCopy(change: (folder: string) => void): string {
    const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-copy-'));
    copies.push(copy);
    cpSync(DEV, join(copy, 'dev', 'vultr'), { recursive: true });
    change(join(copy, 'dev', 'vultr'));
    return copy;
  }
  /** A scratch values copy changed by `change`, and `target` synthesized from it into a scratch dist. */
  function built(change: (values: ValuesDir) => void, provider = 'vultr'): { dist: string; values: ValuesDir } {
    const values = new DeployValuesDir();
    change(values);
    const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-copy-'));
    copies.push(copy);
    cleanupValues.push(values);
    runSynth({ environment: 'dev', provider, valuesDir: values.path, outdir: copy, allowStorageChange: false });
    return { dist: copy, values };
  }
  const cleanupValues: ValuesDir[] = [];
  afterEach(() => {
    for (const folder of copies.splice(0)) rmSync(folder, { recursive: true, force: true });
    for (const values of cleanupValues.splice(0)) values.remove();
  });

  test("another chart's file is previewed in file order and applied once the cluster is Ready", () => {
    // GIVEN a target with a further chart (monitoring, turned on for dev)
    const { dist: copy, values } = built((v) => v.set('environments/dev.yaml', ['metrics', 'enabled'], true));
    const monitoring = join(copy, 'dev', 'vultr', '0002-monitoring.k8s.yaml');

    // WHEN previewing and promoting it
    const overrides = { dist: copy, valuesDir: values.path };
    const preview = deploy('preview', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], overrides);
    const promote = deploy('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], overrides);

    // THEN the diff covers it last, and the apply comes right after the Ready wait and the partition-health gate
    expect(preview.calls[3]).toEqual([...CTX, 'diff', '--server-side', '--field-manager=restate-stack', '-f', monitoring]);
    expect(promote.code).toBe(0);
    expect(promote.calls.slice(-3)).toEqual([
      [...CTX, ...rolloutReads('restate-dev')[2]],
      [
        ...CTX,
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
        '300',
        '--replicas',
        '3',
        '--wait-serving',
      ],
      [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', monitoring],
    ]);
    expect(promote.out).toMatch(/\[19\/19\] applying monitoring: .*0002-monitoring\.k8s\.yaml/);
  });

  test("a scale-in: the drain commit waits for the drain Job, the commit that lowers replicas deletes the removed pods' PVCs", () => {
    // GIVEN dev at 5 replicas with scaleIn 5 → 3 (the drain commit), and the same with replicas 3 (the second commit)
    const drainCommit = built((v) =>
      v.set('environments/dev.yaml', ['replicas'], 5).set('environments/dev.yaml', ['scaleIn'], { from: 5, to: 3 }),
    );
    const lowerCommit = built((v) =>
      v.set('environments/dev.yaml', ['replicas'], 3).set('environments/dev.yaml', ['scaleIn'], { from: 5, to: 3 }),
    );
    const rules = [currentContext('restate-dev'), ...rolloutRules('restate-dev', 5), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS];

    // WHEN promoting each
    const first = deploy('promote', rules, { dist: drainCommit.dist, valuesDir: drainCommit.values.path });
    const second = deploy('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {
      dist: lowerCommit.dist,
      valuesDir: lowerCommit.values.path,
    });

    // THEN the first replaces and applies the drain Job, waits for it and says what comes next; it deletes no PVC
    expect(first.code).toBe(0);
    const op = ['-n', 'restate-operator'];
    const job = 'job/restate-dev-drain-5-to-3';
    expect(first.calls).toContainEqual([...CTX, ...op, 'delete', job, '--ignore-not-found', '--timeout=300s']);
    expect(first.calls).toContainEqual([...CTX, ...op, 'wait', '--for=condition=Complete', job, '--timeout=300s']);
    expect(first.out).toContain('drained; next: commit replicas: 3 (scaleIn stays set) and promote again');
    expect(first.calls.some((argv) => argv.some((a) => a.startsWith('pvc/')))).toBe(false);
    // AND the second deletes storage-restate-3 and -4, after the partition-health gate, and waits for no drain
    expect(second.code).toBe(0);
    const deletes = second.calls.filter((argv) => argv.some((a) => a.startsWith('pvc/')));
    expect(deletes).toEqual([
      [...CTX, '-n', 'restate-dev', 'delete', 'pvc/storage-restate-3', '--ignore-not-found', '--timeout=300s'],
      [...CTX, '-n', 'restate-dev', 'delete', 'pvc/storage-restate-4', '--ignore-not-found', '--timeout=300s'],
    ]);
    const gate = second.calls.findIndex((argv) => argv.includes('--wait-serving'));
    expect(gate).toBeGreaterThan(-1);
    expect(second.calls.indexOf(deletes[0])).toBeGreaterThan(gate);
    expect(second.calls).not.toContainEqual([...CTX, ...op, 'wait', '--for=condition=Complete', job, '--timeout=300s']);
  });

  test('a cluster that provisions itself (auto-provision = true) gets no provisioning step', () => {
    // GIVEN dev/aws with object-store metadata, which provisions itself
    const { dist: copy, values } = built((v) => v.set('environments/dev.yaml', ['metadata', 'store'], 'object-store'), 'aws');
    expect(readFileSync(join(copy, 'dev', 'aws', '0001-cluster.k8s.yaml'), 'utf8')).toContain('auto-provision = true');
    // WHEN promoting it
    const run = deployWithStandIn('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {
      dist: copy,
      provider: 'aws',
      cleanup: standIns,
      overrides: { valuesDir: values.path },
    });
    // THEN
    expect(run.code).toBe(0);
    expect(run.calls.some((argv) => argv.includes('exec'))).toBe(false);
    expect(run.out).toContain('no provisioning step: the cluster provisions itself (auto-provision = true in its config)');
  });

  test('a cluster the operator provisions (operator 2.8.1, spec.cluster.autoProvision) gets no provisioning step and no Job', () => {
    // GIVEN dev/vultr on operator 2.8.1 with automated provisioning (a fresh target: no committed output to guard)
    const { dist: copy, values } = built((v) =>
      v.set('environments/dev.yaml', ['operator', 'version'], '2.8.1').set('environments/dev.yaml', ['provisioning', 'automated'], true),
    );
    expect(readFileSync(join(copy, 'dev', 'vultr', '0001-cluster.k8s.yaml'), 'utf8')).toContain('autoProvision: true');
    // WHEN promoting it
    const run = deploy('promote', [currentContext('restate-dev'), ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {
      dist: copy,
      valuesDir: values.path,
    });
    // THEN nothing provisions from outside: no Job, and the only exec is the serving gate after the rollout
    expect(run.code).toBe(0);
    expect(run.calls.some((argv) => argv.some((a) => a.includes('provisioning')))).toBe(false);
    const execs = run.calls.filter((argv) => argv.includes('exec'));
    expect(execs.length).toBeGreaterThan(0);
    for (const argv of execs) expect(argv).toContain('--wait-serving');
    expect(run.out).toContain('no provisioning step: the operator provisions the cluster (spec.cluster.autoProvision)');
  });

  test('a build for another cluster name is refused as stale, before kubectl is called', () => {
    const copy = devCopy((folder) => {
      const clusterFile = join(folder, '0001-cluster.k8s.yaml');
      writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace('name: restate-dev', 'name: restate-old'));
    });
    const run = deploy('promote', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: copy });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain('is for RestateCluster "restate-old", but clusterName is "restate-dev" (stale build?)');
  });

  test('preview and promote refuse a folder that differs from a fresh synth of the current values, before kubectl is called', () => {
    // GIVEN dev/vultr built, then the values changed without a rebuild (and a file of the user's own in the folder)
    const { dist: copy, values } = built(() => undefined);
    writeFileSync(join(copy, 'dev', 'vultr', 'kustomization.yaml'), 'resources: []\n');
    values.set('environments/dev.yaml', ['replicas'], 5);
    for (const command of ['preview', 'promote'] as const) {
      // WHEN
      const run = deploy(command, [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], { dist: copy, valuesDir: values.path });
      // THEN nothing is diffed or applied, and the message names the stale file (not the user's file) and the fix
      expect([command, run.code]).toEqual([command, 1]);
      expect(run.calls).toEqual([]);
      expect(run.err).toContain(
        `${join(copy, 'dev', 'vultr')} differs from a fresh synth of the values in ${values.path} (stale build?):\n  0001-cluster.k8s.yaml: differs\n`,
      );
      expect(run.err).not.toContain('kustomization.yaml');
      expect(run.err).toContain('mise run deploy:build --environment dev --provider vultr');
    }
    // and once rebuilt, promote goes ahead (the user's file is kept and not compared)
    runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: copy, allowStorageChange: false });
    expect(readFileSync(join(copy, 'dev', 'vultr', 'kustomization.yaml'), 'utf8')).toBe('resources: []\n');
    expect(
      deploy('promote', [currentContext('restate-dev'), ...rolloutRules('restate-dev', 5), ANYTHING_ELSE_SUCCEEDS], {
        dist: copy,
        valuesDir: values.path,
      }).code,
    ).toBe(0);
  });

  test('a stale GitOps entry (argocd/, flux/) is refused like a stale chart file: it is what Argo CD or Flux is pointed at', () => {
    // GIVEN dev/vultr built, then gitops.repoURL changed without a rebuild: only the Application and its AppProject
    // (sourceRepos) are stale
    const { dist: copy, values } = built(() => undefined);
    values.set('base.yaml', ['gitops', 'repoURL'], 'https://git.restate-stack.test/moved.git');
    for (const command of ['preview', 'promote'] as const) {
      // WHEN
      const run = deploy(command, [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], { dist: copy, valuesDir: values.path });
      // THEN nothing is diffed or applied, and the stale file below the folder is named
      expect([command, run.code, run.calls]).toEqual([command, 1, []]);
      expect(run.err).toContain(
        '(stale build?):\n  argocd/application.yaml: differs\n  argocd/appproject.yaml: differs\nrun `mise run deploy:build',
      );
    }
    // AND a hand edit inside the Flux entry of dev/kind is refused the same way
    const kind = built(() => undefined, 'kind');
    const entry = join(kind.dist, 'dev', 'kind', 'flux', 'kustomizations.yaml');
    writeFileSync(entry, `${readFileSync(entry, 'utf8')}# edited by hand\n`);
    const run = deployWithStandIn('preview', [currentContext('restate-dev'), ANYTHING_ELSE_SUCCEEDS], {
      dist: kind.dist,
      provider: 'kind',
      cleanup: standIns,
      overrides: { valuesDir: kind.values.path },
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain('  flux/kustomizations.yaml: differs\n');
  });

  test('a missing or extra synthesized file is named as such', () => {
    // GIVEN prod/vultr built with metrics on, then turned off: a fresh synth has no monitoring file
    const values = new DeployValuesDir();
    cleanupValues.push(values);
    const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-copy-'));
    copies.push(copy);
    runSynth({ environment: 'prod', provider: 'vultr', valuesDir: values.path, outdir: copy, allowStorageChange: false });
    values.set('environments/prod.yaml', ['metrics', 'enabled'], false);
    // WHEN
    const run = deployWithStandIn('preview', [currentContext('restate-prod'), ANYTHING_ELSE_SUCCEEDS], {
      dist: copy,
      provider: 'vultr',
      cleanup: standIns,
      overrides: { environment: 'prod', valuesDir: values.path },
    });
    // THEN
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain('  0003-monitoring.k8s.yaml: a fresh synth no longer writes it\n');
  });

  test('an output folder with the journal of an interrupted synth is refused: a target folder may be missing or old', () => {
    const copy = devCopy(() => undefined);
    writeFileSync(join(copy, '.synth-journal'), '{"staging":".synth-staging-x","moves":[]}\n');
    const run = deploy('promote', [ANYTHING_ELSE_SUCCEEDS], { dist: copy });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain(`${join(copy, '.synth-journal')} exists: a synth into ${copy} was interrupted`);
  });

  test('a provisioning file in a target without automated provisioning is refused as stale', () => {
    const copy = devCopy((folder) => copyFileSync(join(PROD, '0002-provisioning.k8s.yaml'), join(folder, '0002-provisioning.k8s.yaml')));
    const run = deploy('preview', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: copy });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain('provisioning.automated is false but');
    expect(run.err).toContain('mise run deploy:build --environment dev --provider vultr');
  });
});

describe('provision', () => {
  // On the recording kubectl: provision is `kubectl exec` into restate-0 throughout, which needs a kubelet (none runs
  // under the test control plane).
  test('pipes the repository script into restate-0 and shows restatectl status; already provisioned is success', () => {
    // GIVEN a provisioned cluster
    const rules = [
      currentContext('restate-dev'),
      {
        match: '*exec -i restate-0*',
        stdout: 'provision: done: the cluster is already provisioned, nothing to do (restatectl status exits 0)\n',
      },
      { match: '*restatectl status*', stdout: 'Node Configuration (v3)\n N1  restate-0  Alive\n' },
    ];

    // WHEN provisioning with a 60 s deadline
    const run = deploy('provision', rules, { timeoutSeconds: 60 });

    // THEN it exits 0, having run exactly the script and the status
    expect(run.code).toBe(0);
    expect(run.calls.slice(1)).toEqual([
      [
        ...CTX,
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
        '60',
        '--replicas',
        '3',
        '--ensure-replication',
        '2',
      ],
      [...CTX, '-n', 'restate-dev', 'exec', 'restate-0', '--', 'restatectl', 'status', '--address', 'http://127.0.0.1:5122'],
    ]);
    expect(run.kubectl.stdin(2)).toBe(readFileSync(PROVISION_SCRIPT_PATH, 'utf8'));
    expect(run.out).toContain('already provisioned, nothing to do');
    expect(run.out).toContain('N1  restate-0  Alive');
    expect(run.out).toContain('provision: RestateCluster restate-dev is provisioned');
  });

  test('a script failure exits non-zero with its reason, and skips restatectl status', () => {
    const rules = [
      currentContext('restate-dev'),
      { match: '*exec -i restate-0*', exit: 1, stderr: 'provision: error: the cluster was not provisioned within the deadline of 300s\n' },
    ];
    const run = deploy('provision', rules);
    expect(run.code).toBe(1);
    expect(run.calls).toHaveLength(2);
    expect(run.err).toContain('failed (exit 1): provision: error: the cluster was not provisioned within the deadline of 300s');
    expect(run.err).toContain('safe to repeat');
  });

  test("a pod that does not exist is a failure with kubectl's message", () => {
    const rules = [
      currentContext('restate-dev'),
      { match: '*exec -i restate-0*', exit: 1, stderr: 'Error from server (NotFound): pods "restate-0" not found\n' },
    ];
    const run = deploy('provision', rules);
    expect(run.code).toBe(1);
    expect(run.err).toContain('pods "restate-0" not found');
  });

  test('restatectl status failing after the script is a failure', () => {
    const rules = [
      currentContext('restate-dev'),
      { match: '*exec -i restate-0*', stdout: 'provision: done\n' },
      { match: '*restatectl status*', exit: 1, stderr: 'The cluster is not provisioned\n' },
    ];
    const run = deploy('provision', rules);
    expect(run.code).toBe(1);
    expect(run.err).toContain('restatectl status in pod restate-dev/restate-0 exited 1 after provisioning: The cluster is not provisioned');
  });
});

describe('status', () => {
  // On the recording kubectl: the messages for each answer. Its reads from a real API server (conditions, pods,
  // restarts) are in test/control-plane/deploy-promote.live.test.ts; restatectl status is `kubectl exec` (a kubelet).
  const conditions = 'Ready\tTrue\tReady\tAll pods ready\n';
  test('shows conditions, pods and restatectl status, and exits 0 when Ready and provisioned', () => {
    const rules = [
      currentContext('restate-dev'),
      { match: '*get restatecluster/restate-dev -o jsonpath=*', stdout: conditions },
      { match: '*get pods -o wide', stdout: 'NAME        READY   STATUS\nrestate-0   1/1     Running\n' },
      { match: '*restatectl status*', stdout: 'Logs: 128 partitions\n' },
      { match: '*get pods -l *', stdout: 'restate-0\tTrue\t\t0\nrestate-1\tTrue\t\t0\nrestate-2\tTrue\t\t0\n' },
    ];
    const run = deploy('status', rules);
    expect(run.code).toBe(0);
    expect(run.calls.slice(1)).toEqual([
      [
        ...CTX,
        'get',
        'restatecluster/restate-dev',
        '-o',
        'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.reason}{"\\t"}{.message}{"\\n"}{end}',
      ],
      [...CTX, '-n', 'restate-dev', 'get', 'pods', '-o', 'wide'],
      [...CTX, '-n', 'restate-dev', 'exec', 'restate-0', '--', 'restatectl', 'status', '--address', 'http://127.0.0.1:5122'],
      clusterPodsArgs('restate-dev', 'restate-dev'),
    ]);
    expect(run.out).toContain('    TYPE   STATUS  REASON  MESSAGE\n    Ready  True    Ready   All pods ready');
    expect(run.out).toContain('restate-0   1/1     Running');
    expect(run.out).toContain('Logs: 128 partitions');
    expect(run.out).toContain('== summary: Ready, provisioned');
  });

  test('exits 1 on an unprovisioned cluster, still showing everything', () => {
    const rules = [
      currentContext('restate-dev'),
      { match: '*get restatecluster/restate-dev*', stdout: 'Ready\tFalse\tNotReady\t0/3 pods ready\n' },
      { match: '*get pods -o wide', stdout: 'restate-0   0/1     Running\n' },
      { match: '*restatectl status*', exit: 1, stderr: 'The cluster is not provisioned\n' },
    ];
    const run = deploy('status', rules);
    expect(run.code).toBe(1);
    expect(run.out).toContain('The cluster is not provisioned');
    expect(run.out).toContain('== summary: not Ready, not provisioned (or not answering)');
  });

  test('a cluster that does not answer stops status at the first read, saying so and how to check the context, exit 1', () => {
    // GIVEN a kube context whose server refuses connections (the real kubectl 1.37's words and exit status for a get)
    const stderr =
      'E1208 02:10:00.000000   1234 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list: ' +
      'Get \\"https://127.0.0.1:1/api?timeout=32s\\": dial tcp 127.0.0.1:1: connect: connection refused"\n' +
      'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n';
    const rules = [currentContext('restate-dev'), { match: '*get restatecluster/*', exit: 1, stderr }, ANYTHING_ELSE_SUCCEEDS];
    // WHEN asking for the status
    const run = deploy('status', rules);
    // THEN only the first read was tried, and it says the cluster did not answer, nothing was checked, and how to check the context
    expect(run.code).toBe(1);
    expect(run.calls.slice(1)).toHaveLength(1);
    expect(run.out).toContain('The connection to the server 127.0.0.1:1 was refused');
    expect(run.err).toContain('status: The cluster of kube context "restate-dev" did not answer, so nothing was checked.');
    expect(run.err).toContain('`kubectl config view --minify --context restate-dev`');
    expect(run.out).not.toContain('not provisioned');
  });
});
