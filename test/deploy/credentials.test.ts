import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployArgs } from '../../lib/deploy/args';
import { runDeploy } from '../../lib/deploy/commands';
import { KubectlProcess } from '../../lib/deploy/process';
import { SopsProcess, type Sops } from '../../lib/deploy/sops';
import { runSynth } from '../../lib/synth/run';
import { SOPS_SECRET_FILE } from '../../lib/target-folder/files';
import { ANYTHING_ELSE_SUCCEEDS, KubectlStandIn, type Rule } from '../fixtures/kubectl-stand-in';
import { SopsStandIn } from '../fixtures/sops-stand-in';
import { DeployValuesDir, deployValues } from '../support/deploy-values';
import { deployWithStandIn, type DeployRun, ROLLED_OUT, standInTiming } from '../support/deploy-run';

// dev/kind carries the worked SOPS example (credentials.source sops, snapshots on, so the pods read the keys);
// a values copy turns it into existing-secret; prod/aws uses workload identity. One dist for the whole file.
const dist = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-credentials-'));
const existingValues = new DeployValuesDir()
  .set('providers/kind.yaml', ['objectStorage', 'credentials', 'source'], 'existing-secret')
  .set('providers/kind.yaml', ['objectStorage', 'credentials', 'sopsFile'], undefined);
const existingDist = join(dist, 'existing');
// existing-secret with snapshots off: the values name a Secret, but no env entry of the cluster reads it yet.
const unreadValues = new DeployValuesDir()
  .set('providers/kind.yaml', ['objectStorage', 'credentials', 'source'], 'existing-secret')
  .set('providers/kind.yaml', ['objectStorage', 'credentials', 'sopsFile'], undefined)
  .set('providers/kind.yaml', ['snapshots', 'enabled'], false);
const unreadDist = join(dist, 'unread');
beforeAll(() => {
  runSynth({ environment: 'dev', provider: 'kind', valuesDir: deployValues(), outdir: dist, allowStorageChange: false });
  runSynth({ environment: 'prod', provider: 'aws', valuesDir: deployValues(), outdir: dist, allowStorageChange: false });
  runSynth({ environment: 'dev', provider: 'kind', valuesDir: existingValues.path, outdir: existingDist, allowStorageChange: false });
  runSynth({ environment: 'dev', provider: 'kind', valuesDir: unreadValues.path, outdir: unreadDist, allowStorageChange: false });
});
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
  existingValues.remove();
  unreadValues.remove();
});

const KIND = join(dist, 'dev', 'kind');
const SECRET_FILE = join(KIND, SOPS_SECRET_FILE);
const CTX = ['--context', 'restate-dev'];
const NS = ['-n', 'restate-dev'];
const KEYS_TEMPLATE = 'go-template={{range $key, $value := .data}}{{if $value}}{{$key}}{{"\\n"}}{{end}}{{end}}';
const GET_SECRET = [...CTX, ...NS, 'get', 'secret', 'restate-object-storage', '-o', KEYS_TEMPLATE];
const APPLY_STDIN = [...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '-f', '-'];
const NAMESPACE_WAIT = [...CTX, 'wait', '--for=create', 'namespace/restate-dev', '--timeout=300s'];
const FIRST_POD_WAIT = [...CTX, ...NS, 'wait', '--for=create', 'pod/restate-0', '--timeout=300s'];

/** What the sops stand-in "decrypts" the worked example to: made-up values that must never be printed. */
const ACCESS_KEY_ID = 'stand-in-access-key-id';
const SECRET_ACCESS_KEY = 'stand-in-secret-access-key-9f3c';
const PLAINTEXT = [
  'apiVersion: v1',
  'kind: Secret',
  'metadata:',
  '  name: restate-object-storage',
  '  namespace: restate-dev',
  'type: Opaque',
  'stringData:',
  `  AWS_ACCESS_KEY_ID: ${ACCESS_KEY_ID}`,
  `  AWS_SECRET_ACCESS_KEY: ${SECRET_ACCESS_KEY}`,
  '',
].join('\n');

type Run = DeployRun;

const cleanup: Array<{ remove(): void }> = [];
afterEach(() => cleanup.splice(0).forEach((item) => item.remove()));

function sopsStandIn(answer: ConstructorParameters<typeof SopsStandIn>[0]): SopsStandIn {
  const standIn = new SopsStandIn(answer);
  cleanup.push(standIn);
  return standIn;
}

/** Runs one deploy command of dev/kind in-process against the stand-in kubectl (and the given sops). */
function deploy(command: DeployArgs['command'], rules: readonly Rule[], overrides: Partial<DeployArgs> = {}, sops?: Sops): Run {
  return deployWithStandIn(command, [{ match: 'config current-context', stdout: 'restate-dev\n' }, ...rules], {
    dist,
    provider: 'kind',
    cleanup,
    overrides,
    sops,
  });
}

const indexOf = (calls: string[][], argv: readonly string[]) => calls.findIndex((call) => JSON.stringify(call) === JSON.stringify(argv));

describe('promote with credentials.source sops', () => {
  test("decrypts the target's file with sops and pipes it into a server-side apply, after the namespace and before the pods", () => {
    // GIVEN a sops that can decrypt the worked example
    const sops = sopsStandIn({ plaintext: PLAINTEXT });
    const rules = [
      { match: '*apply --server-side --field-manager=restate-stack -f -', stdout: 'secret/restate-object-storage serverside-applied\n' },
      { match: '*exec -i restate-0*', stdout: 'provision: done\n' },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN promoting dev/kind
    const run = deploy('promote', rules, {}, sops.sops);

    // THEN sops decrypted exactly the target's copy of the encrypted Secret, once
    // (and no warning: the shipped values draw none)
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(sops.calls()).toEqual([['--decrypt', SECRET_FILE]]);

    // AND kubectl received the plaintext on standard input, right after the namespace appeared, before any pod wait
    const apply = indexOf(run.calls, APPLY_STDIN);
    expect(apply).toBe(indexOf(run.calls, NAMESPACE_WAIT) + 1);
    expect(indexOf(run.calls, FIRST_POD_WAIT)).toBe(apply + 1);
    expect(run.kubectl.stdin(apply + 1)).toBe(PLAINTEXT);

    // AND the encrypted file itself was never handed to kubectl, and no value was printed
    expect(run.calls.some((call) => call.includes(SECRET_FILE))).toBe(false);
    expect(run.out).toContain(
      `applying Secret restate-object-storage in namespace restate-dev, decrypted with sops (never written to disk): ${SECRET_FILE}`,
    );
    expect(run.out).toContain('secret/restate-object-storage serverside-applied');
    expect(`${run.out}${run.err}`).not.toContain(ACCESS_KEY_ID);
    expect(`${run.out}${run.err}`).not.toContain(SECRET_ACCESS_KEY);
  });

  test('a pod that never runs names the credentials Secret among the likely causes', () => {
    const sops = sopsStandIn({ plaintext: PLAINTEXT });
    const rules = [
      {
        match: '*jsonpath={.status.phase}=Running pod/restate-0*',
        exit: 1,
        stderr: 'error: timed out waiting for the condition on pods/restate-0\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules, {}, sops.sops);
    expect(run.code).toBe(1);
    expect(run.err).toContain('CreateContainerConfigError: Secret restate-object-storage or one of its keys missing');
  });

  test('sops missing from PATH stops promote before the pods, naming what to install and the alternative', () => {
    // GIVEN no sops on PATH
    const empty = mkdtempSync(join(tmpdir(), 'restate-stack-nosops-'));
    cleanup.push({ remove: () => rmSync(empty, { recursive: true, force: true }) });

    // WHEN promoting
    const run = deploy('promote', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {}, new SopsProcess({ PATH: empty }));

    // THEN it fails right after the namespace wait, with the way out
    expect(run.code).toBe(1);
    expect(run.calls[run.calls.length - 1]).toEqual(NAMESPACE_WAIT);
    expect(run.err).toContain(`promote: sops not found on PATH: ${SECRET_FILE} is SOPS-encrypted (objectStorage.credentials.source: sops)`);
    expect(run.err).toContain('Install sops (https://github.com/getsops/sops/releases)');
    expect(run.err).toContain('objectStorage.credentials.source: existing-secret');
  });

  test("a decryption failure shows sops' reason and where the key goes, and applies nothing", () => {
    // GIVEN a sops without the private key
    const sops = sopsStandIn({
      exit: 128,
      stderr:
        'Failed to get the data key required to decrypt the SOPS file.\n\nGroup 0: FAILED\n  age1vagp…: FAILED\n    - | no identity matched any of the recipients',
    });

    // WHEN promoting
    const run = deploy('promote', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {}, sops.sops);

    // THEN it stops with sops' words and the key hint, having applied no Secret
    expect(run.code).toBe(1);
    expect(run.err).toContain(`sops could not decrypt ${SECRET_FILE} (exit 128)`);
    expect(run.err).toContain('no identity matched any of the recipients');
    expect(run.err).toContain('SOPS_AGE_KEY_FILE=<path of keys.txt>');
    expect(run.calls.some((call) => call.includes('-'))).toBe(false);
    expect(run.calls[run.calls.length - 1]).toEqual(NAMESPACE_WAIT);
  });

  test('a decrypted document that is not the expected Secret is not applied', () => {
    const sops = sopsStandIn({ plaintext: PLAINTEXT.replace('name: restate-object-storage', 'name: another-secret') });
    const run = deploy('promote', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {}, sops.sops);
    expect(run.code).toBe(1);
    expect(run.err).toContain('is not a v1 Secret named restate-object-storage in namespace restate-dev; nothing was applied');
    expect(indexOf(run.calls, APPLY_STDIN)).toBe(-1);
  });

  test("a failing apply shows kubectl's message with any secret value masked", () => {
    // GIVEN a kubectl that quotes a value back in its error
    const sops = sopsStandIn({ plaintext: PLAINTEXT });
    const rules = [
      {
        match: '*-f -',
        exit: 1,
        stderr: `Error from server (Invalid): Secret "restate-object-storage" is invalid: data[AWS_SECRET_ACCESS_KEY]: ${SECRET_ACCESS_KEY}\n`,
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];

    // WHEN promoting
    const run = deploy('promote', rules, {}, sops.sops);

    // THEN the failure is reported, the value masked
    expect(run.code).toBe(1);
    expect(run.err).toContain(`server-side apply of the decrypted ${SECRET_FILE} failed (kubectl exit 1)`);
    expect(run.err).toContain('data[AWS_SECRET_ACCESS_KEY]: <redacted>');
    expect(run.err).not.toContain(SECRET_ACCESS_KEY);
  });

  test('values under data are masked both as written (base64) and decoded', () => {
    const encoded = Buffer.from(SECRET_ACCESS_KEY).toString('base64');
    const sops = sopsStandIn({
      plaintext: PLAINTEXT.replace('stringData:', 'data:')
        .replace(SECRET_ACCESS_KEY, encoded)
        .replace(`: ${ACCESS_KEY_ID}`, `: ${Buffer.from(ACCESS_KEY_ID).toString('base64')}`),
    });
    const rules = [
      { match: '*-f -', exit: 1, stderr: `error: rejected ${encoded} (${SECRET_ACCESS_KEY})\n` },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ];
    const run = deploy('promote', rules, {}, sops.sops);
    expect(run.code).toBe(1);
    expect(run.err).toContain('error: rejected <redacted> (<redacted>)');
  });

  test("--force-conflicts reaches the Secret's apply too", () => {
    const sops = sopsStandIn({ plaintext: PLAINTEXT });
    const run = deploy(
      'promote',
      [{ match: '*exec -i restate-0*', stdout: 'provision: done\n' }, ...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS],
      { forceConflicts: true },
      sops.sops,
    );
    expect(run.code).toBe(0);
    expect(run.calls).toContainEqual([...CTX, 'apply', '--server-side', '--field-manager=restate-stack', '--force-conflicts', '-f', '-']);
  });
});

describe('the target folder with a SOPS file', () => {
  const copies: string[] = [];
  afterEach(() => copies.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));
  function kindCopy(change: (folder: string) => void): string {
    const copy = mkdtempSync(join(tmpdir(), 'restate-stack-deploy-credentials-copy-'));
    copies.push(copy);
    cpSync(KIND, join(copy, 'dev', 'kind'), { recursive: true });
    change(join(copy, 'dev', 'kind'));
    return copy;
  }

  test('preview leaves the SOPS file out with the reason, in file order, and never calls sops', () => {
    // GIVEN a sops that would fail if called
    const sops = sopsStandIn({ exit: 1, stderr: 'must not be called' });

    // WHEN previewing dev/kind
    const run = deploy('preview', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], {}, sops.sops);

    // THEN only the chart files are diffed, and the skip is said between them and after the cluster
    expect(run.code).toBe(0);
    expect(run.calls.slice(1).map((call) => call[call.length - 1])).toEqual([
      join(KIND, '0000-operator.k8s.yaml'),
      join(KIND, '0001-cluster.k8s.yaml'),
      join(KIND, '0002-provisioning.k8s.yaml'),
    ]);
    expect(sops.calls()).toEqual([]);
    expect(run.out).toContain(`${SECRET_FILE}: not diffed: SOPS-encrypted Secret; diffing it would need its private key`);
    expect(run.out.indexOf(SECRET_FILE)).toBeGreaterThan(run.out.indexOf(join(KIND, '0001-cluster.k8s.yaml')));
    expect(run.out).toContain('preview: the cluster matches the target (1 file(s) not diffed, see above)');
  });

  test("a SOPS file that differs from the values' one is refused as stale, before kubectl is called", () => {
    const copy = kindCopy((folder) =>
      writeFileSync(join(folder, SOPS_SECRET_FILE), `${readFileSync(join(folder, SOPS_SECRET_FILE), 'utf8')}# re-encrypted\n`),
    );
    const run = deploy('promote', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: copy });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain('differs from');
    expect(run.err).toContain('kind-minio.sops.yaml (re-encrypted or rotated since the build?)');
  });

  test('a target without the SOPS file that credentials.source sops needs is refused as stale', () => {
    const copy = kindCopy((folder) => rmSync(join(folder, SOPS_SECRET_FILE)));
    const run = deploy('preview', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: copy });
    expect(run.code).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.err).toContain(
      `objectStorage.credentials.source is sops but ${join(copy, 'dev', 'kind')} has no ${SOPS_SECRET_FILE} (stale build?)`,
    );
  });

  test('a SOPS file in a target whose credentials are not sops is refused as stale', () => {
    const existingKind = join(existingDist, 'dev', 'kind');
    copyFileSync(SECRET_FILE, join(existingKind, SOPS_SECRET_FILE));
    try {
      const run = deploy('preview', [...ROLLED_OUT, ANYTHING_ELSE_SUCCEEDS], { dist: existingDist, valuesDir: existingValues.path });
      expect(run.code).toBe(1);
      expect(run.err).toContain('exists but objectStorage.credentials.source is existing-secret (stale build?)');
    } finally {
      rmSync(join(existingKind, SOPS_SECRET_FILE));
    }
  });
});

describe('promote with credentials.source existing-secret', () => {
  const existing = (rules: readonly Rule[]) => deploy('promote', rules, { dist: existingDist, valuesDir: existingValues.path });

  test("checks the Secret's key names (never its values) after the namespace, then goes on to the pods", () => {
    // GIVEN the user's Secret with both keys
    const run = existing([
      { match: '*get secret restate-object-storage*', stdout: 'AWS_ACCESS_KEY_ID\nAWS_SECRET_ACCESS_KEY\n' },
      { match: '*exec -i restate-0*', stdout: 'provision: done\n' },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ]);

    // THEN the check sits between the namespace wait and the first pod wait, and promote succeeds
    expect(run.code).toBe(0);
    const check = indexOf(run.calls, GET_SECRET);
    expect(check).toBe(indexOf(run.calls, NAMESPACE_WAIT) + 1);
    expect(indexOf(run.calls, FIRST_POD_WAIT)).toBe(check + 1);
    expect(run.out).toContain(
      'Secret restate-object-storage in namespace restate-dev has the keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
    );
    expect(indexOf(run.calls, APPLY_STDIN)).toBe(-1);
  });

  test('a missing Secret stops promote with the command that creates it, without values', () => {
    // GIVEN no Secret yet (a first promote: the namespace has only just been created)
    const run = existing([
      {
        match: '*get secret restate-object-storage*',
        exit: 1,
        stderr: 'Error from server (NotFound): secrets "restate-object-storage" not found\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ]);

    // THEN it stops before the pods and says what to run, then to promote again
    expect(run.code).toBe(1);
    expect(run.calls[run.calls.length - 1]).toEqual(GET_SECRET);
    expect(run.err).toContain(
      'Secret restate-object-storage in namespace restate-dev is missing: the Restate pods cannot start (CreateContainerConfigError)',
    );
    expect(run.err).toContain(
      '`kubectl --context restate-dev -n restate-dev create secret generic restate-object-storage ' +
        '--from-literal=AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" --from-literal=AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"`',
    );
    expect(run.err).toContain('then run promote again');
  });

  test('a Secret without one of the keys stops promote naming the key and the ones it has', () => {
    const run = existing([
      { match: '*get secret restate-object-storage*', stdout: 'AWS_ACCESS_KEY_ID\naccess-key\n' },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('lacks the key(s) AWS_SECRET_ACCESS_KEY (it has: AWS_ACCESS_KEY_ID, access-key)');
    expect(run.err).toContain('secretAccessKeyKey');
  });

  test('a missing Secret that nothing reads yet is a warning, and promote goes on', () => {
    // GIVEN existing-secret credentials with snapshots off, and no Secret
    const run = deploy(
      'promote',
      [
        {
          match: '*get secret restate-object-storage*',
          exit: 1,
          stderr: 'Error from server (NotFound): secrets "restate-object-storage" not found\n',
        },
        { match: '*exec -i restate-0*', stdout: 'provision: done\n' },
        ...ROLLED_OUT,
        ANYTHING_ELSE_SUCCEEDS,
      ],
      { dist: unreadDist, valuesDir: unreadValues.path },
    );

    // THEN promote completes, warning with the same fix
    expect(run.code).toBe(0);
    expect(run.err).toContain('warning: Secret restate-object-storage in namespace restate-dev is missing: nothing reads it yet');
    expect(run.err).toContain('create secret generic restate-object-storage');
    expect(indexOf(run.calls, FIRST_POD_WAIT)).toBe(indexOf(run.calls, GET_SECRET) + 1);
  });

  test("a Secret kubectl may not read is an error with kubectl's reason", () => {
    const run = existing([
      {
        match: '*get secret restate-object-storage*',
        exit: 1,
        stderr: 'Error from server (Forbidden): secrets "restate-object-storage" is forbidden\n',
      },
      ...ROLLED_OUT,
      ANYTHING_ELSE_SUCCEEDS,
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('could not read Secret restate-object-storage in namespace restate-dev');
    expect(run.err).toContain('is forbidden');
  });
});

test('promote with workload identity has no Secret step', () => {
  // WHEN promoting prod/aws (IRSA)
  const kubectl = new KubectlStandIn([
    { match: 'config current-context', stdout: 'restate-prod\n' },
    ...ROLLED_OUT,
    ANYTHING_ELSE_SUCCEEDS,
  ]);
  cleanup.push(kubectl);
  const out: string[] = [];
  const code = runDeploy(
    {
      command: 'promote',
      environment: 'prod',
      provider: 'aws',
      valuesDir: deployValues(),
      dist,
      allowContextMismatch: false,
      timeoutSeconds: 300,
      forceConflicts: false,
    },
    {
      kubectl: new KubectlProcess(kubectl.env()),
      report: { info: (l) => out.push(l), warn: (l) => out.push(l) },
      waitTiming: standInTiming(),
    },
  );

  // THEN nothing reads or applies a Secret, and the step says why
  expect(code).toBe(0);
  expect(kubectl.calls().some((call) => call.includes('secret') || call.includes('-'))).toBe(false);
  expect(out.join('\n')).toContain('no credentials Secret: object storage access comes from workload identity');
});

describe('status with credentials', () => {
  const healthy: Rule[] = [
    { match: '*get restatecluster/restate-dev*', stdout: 'Ready\tTrue\tReady\tAll pods ready\n' },
    { match: '*get pods -o wide', stdout: 'restate-0   1/1     Running\n' },
    { match: '*restatectl status*', stdout: 'Logs: 128 partitions\n' },
  ];

  test('shows the Secret with its keys, right after the pods, and exits 0', () => {
    const run = deploy('status', [
      { match: '*get secret restate-object-storage*', stdout: 'AWS_ACCESS_KEY_ID\nAWS_SECRET_ACCESS_KEY\n' },
      ...healthy,
    ]);
    expect(run.code).toBe(0);
    expect(run.calls[3]).toEqual(GET_SECRET);
    expect(run.out).toContain(
      '== object storage credentials (sops): Secret restate-object-storage in namespace restate-dev\n    present, with the keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
    );
    expect(run.out).toContain('== summary: Ready, provisioned, credentials Secret present');
  });

  test('a missing Secret is one clear line and makes status exit 1, even on a Ready cluster', () => {
    // GIVEN a cluster that reads Ready but has no credentials Secret
    const run = deploy('status', [
      {
        match: '*get secret restate-object-storage*',
        exit: 1,
        stderr: 'Error from server (NotFound): secrets "restate-object-storage" not found\n',
      },
      ...healthy,
    ]);

    // THEN status says what it breaks and how to create it, and fails
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'Secret restate-object-storage in namespace restate-dev is missing: the Restate pods cannot start (CreateContainerConfigError). ' +
        'Create it: mise run deploy:promote --environment dev --provider kind (decrypts and applies it), or by hand: ' +
        `\`sops --decrypt ${join(deployValues(), 'secrets', 'kind-minio.sops.yaml')} | kubectl --context restate-dev apply --server-side --field-manager=restate-stack -f -\``,
    );
    expect(run.out).toContain('== summary: Ready, provisioned, credentials Secret missing');
  });

  test('with existing-secret, the hint is the kubectl create secret command', () => {
    const run = deploy(
      'status',
      [
        {
          match: '*get secret restate-object-storage*',
          exit: 1,
          stderr: 'Error from server (NotFound): secrets "restate-object-storage" not found\n',
        },
        ...healthy,
      ],
      { valuesDir: existingValues.path },
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      'is missing: the Restate pods cannot start (CreateContainerConfigError). Create it: `kubectl --context restate-dev -n restate-dev create secret generic restate-object-storage',
    );
  });

  test('a missing Secret that nothing reads yet is shown but does not fail status', () => {
    // GIVEN credentials in the values but snapshots off: no env entry reads the Secret
    const values = new DeployValuesDir().set('providers/kind.yaml', ['snapshots', 'enabled'], false);
    cleanup.push(values);
    const run = deploy(
      'status',
      [
        {
          match: '*get secret restate-object-storage*',
          exit: 1,
          stderr: 'Error from server (NotFound): secrets "restate-object-storage" not found\n',
        },
        ...healthy,
      ],
      { valuesDir: values.path },
    );
    expect(run.code).toBe(0);
    expect(run.out).toContain('is missing: nothing reads it yet (neither snapshots nor object-store metadata is on)');
  });
});
