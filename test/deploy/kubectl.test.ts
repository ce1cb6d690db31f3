import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyArgs,
  applyStdinArgs,
  conditionsArgs,
  createSecretArgs,
  currentContextArgs,
  deleteArgs,
  diffArgs,
  execArgs,
  jobLogsArgs,
  podsArgs,
  SECRET_KEYS_TEMPLATE,
  secretKeysArgs,
  waitArgs,
} from '../../lib/deploy/kubectl';
import { provisionExecArgs, restatectlStatusArgs } from '../../lib/deploy/provision';
import { clusterNamespaceWait, clusterPodWaits, operatorWaits, provisioningJobWait } from '../../lib/deploy/waits';
import { rolloutReadArgs } from '../../lib/deploy/rollout';
import { closedKubeconfig } from '../support/closed-kubeconfig';

// The real kubectl client (/usr/bin/kubectl) parses every command line the deploy steps build. There is no
// API server here: the kubeconfig points at a closed loopback port, so a well-formed command gets as far as
// connecting and fails there, while a malformed one fails on parsing first ("unknown flag", …).
const KUBECTL = '/usr/bin/kubectl';
const CTX = 'restate-dev';

let scratch: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ({ dir: scratch, env } = closedKubeconfig(CTX));
  writeFileSync(join(scratch, 'objects.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: default }\n');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function kubectl(args: readonly string[], input = '') {
  const result = spawnSync(KUBECTL, [...args], { env, encoding: 'utf8', input, timeout: 30_000 });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

/** One command line of each shape the deploy steps use. */
function commandLines(): Array<[string, string[]]> {
  const file = join(scratch, 'objects.yaml');
  const waits = [
    ...operatorWaits({
      delivery: 'argocd',
      operatorNamespace: 'restate-operator',
      argocdNamespace: 'argocd',
      fluxNamespace: 'flux-system',
    }),
    clusterNamespaceWait({ clusterName: 'restate-dev', operatorNamespace: 'restate-operator' }),
    ...clusterPodWaits({ clusterName: 'restate-dev', replicas: 1, image: 'restatedev/restate:1.4', operatorNamespace: 'restate-operator' }),
    provisioningJobWait('restate-operator', 'restate-dev-provision'),
  ];
  return [
    ['apply', applyArgs(CTX, file)],
    ['apply --force-conflicts', applyArgs(CTX, file, { forceConflicts: true })],
    ['diff', diffArgs(CTX, file, { forceConflicts: true })],
    ['apply -f - (decrypted Secret)', applyStdinArgs(CTX, { forceConflicts: true })],
    ['get secret (key names)', secretKeysArgs(CTX, 'restate-dev', 'restate-object-storage')],
    ...waits.map((wait): [string, string[]] => [`wait ${wait.condition} ${wait.object}`, waitArgs(CTX, wait, 1)]),
    ['delete', deleteArgs(CTX, 'restate-operator', 'job/restate-dev-provision', 5)],
    ['exec -i (provision)', provisionExecArgs(CTX, 'restate-dev', 60)],
    ['exec (restatectl status)', restatectlStatusArgs(CTX, 'restate-dev')],
    ['exec', execArgs(CTX, 'restate-dev', 'restate-0', ['true'])],
    ['get conditions', conditionsArgs(CTX, 'restatecluster/restate-dev')],
    ['get pods', podsArgs(CTX, 'restate-dev')],
    ['logs', jobLogsArgs(CTX, 'restate-operator', 'restate-dev-provision', 20)],
    ...Object.entries(
      rolloutReadArgs(CTX, {
        clusterName: 'restate-dev',
        replicas: 3,
        image: 'restatedev/restate:1.4',
        operatorNamespace: 'restate-operator',
      }),
    ).map(([read, args]): [string, string[]] => [`get (rollout: ${read})`, args]),
  ];
}

describe('the real kubectl client', () => {
  test('accepts every command line shape, failing only on the missing server', () => {
    const lines = commandLines();
    expect(lines.length).toBeGreaterThan(15);
    const rejected = lines
      .map(([name, args]) => ({
        name,
        ...kubectl(args, args.includes('-') ? 'apiVersion: v1\nkind: Secret\nmetadata: { name: x, namespace: default }\n' : ''),
      }))
      .filter((run) => !(run.code !== 0 && /127\.0\.0\.1:9.*(refused|connect)/s.test(run.stderr)))
      .map((run) => `${run.name}: exit ${run.code}: ${run.stderr.split('\n').filter(Boolean).pop()}`);
    expect(rejected).toEqual([]);
  });

  test('would reject a malformed command line (the check above can fail)', () => {
    const run = kubectl(['--context', CTX, 'wait', '--for=Established', 'crd/x', '--timeout=1s']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('unrecognized condition');
    expect(run.stderr).not.toContain('refused');
  });

  test('reads the current context from the kubeconfig', () => {
    expect(kubectl(currentContextArgs()).stdout.trim()).toBe(CTX);
  });

  test('parses the conditions template (checked on the kubeconfig, the same jsonpath printer)', () => {
    const template = conditionsArgs(CTX, 'x')[5]!;
    const run = kubectl(['config', 'view', '-o', template]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  test("lists a Secret's key names with the keys template, and never a value (on a Secret made offline)", () => {
    // GIVEN a Secret with two keys and an empty one, built by kubectl itself without a server
    const run = kubectl([
      'create',
      'secret',
      'generic',
      'restate-object-storage',
      '-n',
      'restate-dev',
      '--dry-run=client',
      '--from-literal=AWS_ACCESS_KEY_ID=value-one',
      '--from-literal=AWS_SECRET_ACCESS_KEY=value-two',
      '--from-literal=EMPTY=',
      '-o',
      SECRET_KEYS_TEMPLATE,
    ]);

    // THEN the output is the non-empty key names, one a line, without any value (raw or base64)
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('AWS_ACCESS_KEY_ID\nAWS_SECRET_ACCESS_KEY\n');
    expect(secretKeysArgs(CTX, 'restate-dev', 'restate-object-storage').slice(-2)).toEqual(['-o', SECRET_KEYS_TEMPLATE]);
  });

  test('accepts the create-secret command that messages suggest', () => {
    // GIVEN the suggested command, its "$VARIABLE" values taken literally
    const args = createSecretArgs(CTX, 'restate-dev', 'restate-object-storage', ['AWS_ACCESS_KEY_ID', 'access-key.secret']);
    expect(args.slice(-2)).toEqual([
      '--from-literal=AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID"',
      '--from-literal=access-key.secret="$ACCESS_KEY_SECRET"',
    ]);

    // WHEN kubectl builds it without a server
    const run = kubectl([...args, '--dry-run=client', '-o', 'go-template={{range $k, $v := .data}}{{$k}} {{end}}']);

    // THEN it parses and makes a Secret with exactly those keys
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('AWS_ACCESS_KEY_ID access-key.secret ');
  });
});
