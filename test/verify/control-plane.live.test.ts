/**
 * `verify --on control-plane` end to end, as a user runs it: dev/vultr as shipped (dist/dev/vultr) on a real control
 * plane (the binaries the run's global setup found; findControlPlane below), the operator's part writing the
 * operator's objects, the real StatefulSet controller's pods run by the podlet, and the live check's steps read
 * through kubectl exec. Then the two ways it must refuse in one line: a control plane that is not built, and an
 * operator binary that is not the target's operator.
 *
 * Time (`npx jest test/verify/control-plane.live.test.ts`, 2 shared cores): the file 299 s at a load of 35–54, of which
 * the dev/vultr run 280 s; the refusals take a second each, the wrong binary 7–8 s (it starts a control plane).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findControlPlane } from '../../lib/control-plane/build';

const ROOT = join(__dirname, '..', '..');
const RUNNER = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const DEV = ['--environment', 'dev', '--provider', 'vultr', '--on', 'control-plane'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function verify(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 580_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [RUNNER, join('lib', 'verify', 'cli.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('verify --on control-plane', () => {
  beforeAll(async () => {
    // the binaries the run's global setup built or found (a missing build fails here, naming the command)
    await findControlPlane();
  });

  test('dev/vultr: the real controllers make the pods, the podlet runs them, provision.sh through exec provisions, every partition is led, a killed server fails over and is restarted', async () => {
    // GIVEN dev/vultr as shipped and a built control plane
    // WHEN verify runs its live check on the control plane
    // (bounds for a loaded CI machine: at a load of 30 on 2 cores the killed pod's partitions waited over 20 s for its
    // restart in one of two runs (bench/VERIFY.md); at a load of 58 128 partitions were not all led 120 s after
    // provisioning)
    const run = await verify([...DEV, '--failover-bound', '60', '--ready-bound', '180', '--deadline', '540']);
    const progress = run.stderr;

    // THEN every step passed, in the model's order, each read from the real pods
    if (run.code !== 0) console.info(`verify's output:\n${run.stdout}\n${run.stderr}`);
    const step = (name: string) => new RegExp(`^verify dev/vultr \\(control plane\\): ok {3}${name}`, 'm');
    // the operator's objects through the API, by the part, as field manager restate-operator
    expect(progress).toMatch(
      /ok {3}the operator writes its objects \(the operator part\): lib\/operator-part \(operator 1\.7\.4's rules\): StatefulSet restate \(3 replicas\) managed by .*restate-operator/,
    );
    // the StatefulSet controller's pods at the podlet's private addresses, their claims bound by the real PV binder
    expect(progress).toMatch(
      /ok {3}the StatefulSet's 3 pods run on the podlet's Node: restate-0=10\.254\.1\.\d+, restate-1=10\.254\.1\.\d+, restate-2=10\.254\.1\.\d+; 3 of 3 claims Bound/,
    );
    expect(progress).toMatch(step('the cluster waits for provisioning \\(restatectl status in restate-0 exits 1\\)'));
    expect(progress).toMatch(
      /ok {3}provision\.sh provisions the cluster \(kubectl exec -i restate-0 -- sh -s\): .*3 of 3 pods are metadata members, 128 of 128 partitions have an active leader/,
    );
    expect(progress).toMatch(step('restatectl status exits 0'));
    expect(progress).toMatch(step('every partition has an active leader: ready \\d+\\.\\d s'));
    expect(progress).toMatch(
      step(
        'partitions and replication match the config: 128 partitions, each with 2 nodes in its replica set; 128 logs, each replicated \\{node: 2\\}',
      ),
    );
    expect(progress).toMatch(
      step("every pod Ready by its probe; the RestateCluster's Ready condition True: 3 pods Ready; Ready True \\(Provisioned\\)"),
    );
    expect(progress).toMatch(step('a second provisioning is a no-op'));
    expect(progress).toMatch(
      /ok {3}SIGKILL (restate-\d)'s server: every partition has an active leader again: \1 led \d+ partitions; all led again after/,
    );
    expect(progress).toMatch(
      /ok {3}the podlet restarted (restate-\d)'s container; Ready again by its probe: restartCount 1, last state exit 137/,
    );
    // AND the ledger of the model's check on the real pods: the SDK service registered through Service restate's
    // admin API, 40 adds exact through three SIGKILLs the podlet restarted, the sleeping invocation exactly once
    expect(progress).toMatch(
      step(
        'register the SDK service verify-services/counter through the admin API of Service restate: on http://counter\\.verify-services\\.svc\\.cluster\\.local:9080',
      ),
    );
    expect(run.stdout).toMatch(/^ {2}counter: {3}40 adds answered exactly 1\.\.40, final 40; SIGKILL restate-0: next answer after \d/m);
    expect(run.stdout).toMatch(/^ {2}sleep: {5}.* state after the sleep written exactly once$/m);
    expect(progress).not.toMatch(/FAIL/);
    // AND the report has the model's shape and says what it ran on and what is not on that base yet
    expect(run.stdout).toMatch(/^verify dev\/vultr: OK\n/);
    expect(run.stdout).toMatch(/^ {2}live: {6}ok, 18 checks$/m);
    expect(run.stdout).toMatch(
      /^ {2}base: {6}the control plane \(real kube-apiserver, controllers and scheduler; lib\/operator-part; the podlet runs the pods\); not run on it yet: NetworkPolicies, /m,
    );
    expect(run.stdout).toMatch(/^ {2}ready: {5}\d+\.\d s from start until every partition had an active leader$/m);
    expect(run.stdout).toMatch(/^ {2}fail-over: \d+\.\d s after SIGKILL of restate-\d until every partition had a live leader$/m);
    expect(run.stdout).toMatch(/ok {5}dev\/vultr: lint ok, live \(control plane\) ok\nverify: 1 passed, 0 failed\n$/);
    expect(run.code).toBe(0);
  }, 600_000);

  test('a control plane that is not built: one line naming the command to run, exit 1', async () => {
    // GIVEN a control plane folder with nothing built in it
    const empty = mkdtempSync(join(tmpdir(), 'no-control-plane-'));
    try {
      // WHEN verify is asked to run on the control plane
      const run = await verify(DEV, { RESTATE_STACK_CONTROL_PLANE_BIN: empty }, 60_000);
      // THEN it says so in one line and starts nothing
      expect(run.stderr).toBe('verify: --on control-plane: the control plane is not built here; run `npm run control-plane:build` first\n');
      expect(run.code).toBe(1);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);

  test('an operator binary path that does not exist: one line naming the flag and the path, exit 1', async () => {
    const run = await verify([...DEV, '--operator-bin', '/nonexistent/restate-operator'], {}, 60_000);
    expect(run.stderr).toBe(
      'verify: --operator-bin: /nonexistent/restate-operator does not exist; give a restate-operator binary built for this machine\n',
    );
    expect(run.code).toBe(1);
  }, 60_000);

  test("a binary that is not the target's operator (RESTATE_OPERATOR_BIN=/bin/true): the operator step fails naming the variable, nothing else runs", async () => {
    // GIVEN the variable naming a program that is no restate-operator
    // WHEN verify runs on the control plane
    const run = await verify(DEV, { RESTATE_OPERATOR_BIN: '/bin/true' }, 180_000);
    // THEN the control plane started, the operator step failed saying why, and no pod was started
    expect(run.stdout).toMatch(
      new RegExp(
        'live: {6}FAILED at "the operator writes its objects \\(the real operator binary\\)":\\n {4}' +
          'RESTATE_OPERATOR_BIN: /bin/true --help lists the flags of another version: env \\(none\\); operator 1\\.7\\.4 has ',
      ),
    );
    expect(run.stderr).not.toMatch(/podlet registers/);
    expect(run.stdout).toMatch(/FAILED dev\/vultr: lint ok, live \(control plane\) FAILED/);
    expect(run.code).toBe(1);
  }, 180_000);
});
