import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DeployArgs } from '../../lib/deploy/args';
import { runDeploy } from '../../lib/deploy/commands';
import { KubectlProcess } from '../../lib/deploy/process';
import { ExitCode } from '../../lib/errors/user-error';
import { runSynth } from '../../lib/synth/run';
import { closedKubeconfig } from '../support/closed-kubeconfig';
import { DeployValuesDir } from '../support/deploy-values';
import type { ValuesDir } from '../support/values-dir';

// The real kubectl, with a kubeconfig of the test's own whose only context points at a closed loopback port.
const ROOT = resolve(__dirname, '..', '..');
const CONTEXT = 'restate-test';

let values: ValuesDir;
let dist: string;
const cleanup: Array<() => void> = [];
beforeAll(() => {
  // GIVEN dev/vultr whose deploy.kubeContext is restate-test, synthesized (preview and promote compare with a fresh synth;
  // they refuse the shipped example gitops.repoURL, so the copy sets one)
  values = new DeployValuesDir().set('environments/dev.yaml', ['deploy', 'kubeContext'], CONTEXT);
  dist = mkdtempSync(join(tmpdir(), 'restate-stack-context-'));
  runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: dist, allowStorageChange: false });
});
afterAll(() => {
  values.remove();
  rmSync(dist, { recursive: true, force: true });
  for (const clean of cleanup) clean();
});

/** Runs one deploy command in-process with the real kubectl and a kubeconfig holding only `kubeconfigContext`. */
function deploy(command: DeployArgs['command'], kubeconfigContext: string, overrides: Partial<DeployArgs> = {}) {
  const kubeconfig = closedKubeconfig(kubeconfigContext);
  cleanup.push(() => rmSync(kubeconfig.dir, { recursive: true, force: true }));
  const out: string[] = [];
  const err: string[] = [];
  const code = runDeploy(
    {
      command,
      environment: 'dev',
      provider: 'vultr',
      valuesDir: values.path,
      dist,
      context: CONTEXT,
      allowContextMismatch: false,
      timeoutSeconds: 5,
      forceConflicts: false,
      ...(command === 'recover' ? { node: 'restate-2', yes: true } : {}),
      ...overrides,
    },
    {
      kubectl: new KubectlProcess(kubeconfig.env),
      report: { info: (line) => out.push(line), warn: (line) => err.push(line) },
      checkContextExists: true,
    },
  );
  // The values' own warnings (whatever the values hold) are not part of what is checked here.
  return { code, out, err: err.filter((line) => !line.startsWith('warning: ')) };
}

describe('a kube context that the kubeconfig does not hold', () => {
  test.each(['preview', 'promote', 'provision', 'status', 'recover'] as const)(
    '%s checks it once, up front, and stops with one line',
    (command) => {
      // GIVEN a kubeconfig whose only context is kind-kind WHEN the command runs with --context restate-test
      const run = deploy(command, 'kind-kind');
      // THEN it exits FAILED with exactly one line (besides the values' warnings) naming the context and kubectl's reason,
      // and printed nothing else
      expect(run.code).toBe(ExitCode.FAILED);
      expect(run.err).toEqual([
        `${command}: kube context "${CONTEXT}" does not exist in your kubeconfig (kubectl: error: context ${CONTEXT} not found); ` +
          '`kubectl config get-contexts` lists the ones you have: pass --context NAME, or add this one to your kubeconfig',
      ]);
      expect(run.out).toEqual([]);
    },
  );

  test('a context the kubeconfig holds passes the check, and the command goes on to the cluster', () => {
    // GIVEN the kubeconfig holds restate-test (its cluster a closed port) WHEN status runs
    const run = deploy('status', CONTEXT);
    // THEN it got past the check: it named the context it runs on, and failed at the cluster, not at the context
    expect(run.out[0]).toContain(`status dev/vultr (cluster restate-dev) on kube context "${CONTEXT}"`);
    expect(run.err.join('\n')).not.toContain('does not exist in your kubeconfig');
  });

  test('the command line checks it: status prints the one line and exits 1', () => {
    // GIVEN the same kubeconfig without the context WHEN the status command runs as the mise task runs it
    const kubeconfig = closedKubeconfig('kind-kind');
    cleanup.push(() => rmSync(kubeconfig.dir, { recursive: true, force: true }));
    const args = ['status', '-e', 'dev', '-p', 'vultr', '--values-dir', values.path, '--context', CONTEXT];
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cache', 'run.js'), 'lib/deploy/cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...kubeconfig.env },
    });
    // THEN one line on stderr besides the values' warnings, nothing on stdout
    expect(run.status).toBe(ExitCode.FAILED);
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('warning: '));
    expect(lines).toEqual([expect.stringMatching(/^status: kube context "restate-test" does not exist in your kubeconfig/)]);
    expect(run.stdout).toBe('');
  });
});

describe('deploy.kubeContextByProvider: one environment, a cluster per provider', () => {
  test("the provider's entry wins over the environment's kubeContext, and a mismatch names that key", () => {
    // GIVEN prod, whose deploy.kubeContext is restate-prod, with prod/aws on a cluster of its own
    const prod = new DeployValuesDir().set('environments/prod.yaml', ['deploy', 'kubeContextByProvider'], { aws: 'restate-prod-aws' });
    cleanup.push(() => prod.remove());
    const status = (provider: string, context: string) =>
      deploy('status', context, { environment: 'prod', provider, valuesDir: prod.path, context });
    // WHEN status runs for prod/aws on restate-prod THEN it is refused, naming the provider's key and what to run
    const refused = status('aws', 'restate-prod');
    expect(refused.code).toBe(ExitCode.FAILED);
    expect(refused.err.join('\n')).toContain(
      'refusing to run: kube context is "restate-prod" but deploy.kubeContextByProvider.aws of environment "prod" ' +
        '(values/environments/prod.yaml) is "restate-prod-aws"',
    );
    // AND on restate-prod-aws it gets past the check; prod/vultr still insists on the environment's restate-prod
    expect(status('aws', 'restate-prod-aws').out[0]).toContain('status prod/aws (cluster restate-prod) on kube context "restate-prod-aws"');
    expect(status('vultr', 'restate-prod').out[0]).toContain('status prod/vultr (cluster restate-prod) on kube context "restate-prod"');
    expect(status('vultr', 'restate-prod-aws').err.join('\n')).toContain('deploy.kubeContext of environment "prod"');
  });
});
