import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretHint, sopsApplyHint } from '../../lib/deploy/credentials';
import { KubectlProcess } from '../../lib/deploy/process';
import { shellLine, shellQuote } from '../../lib/deploy/shell';
import { SopsProcess } from '../../lib/deploy/sops';
import { helmTemplate, renderedObjectProblems } from '../../lib/stack/operator/helm-template';

/*
 * Every external program we start is bounded in time, and what it prints is checked before it reaches dist/.
 * helm, kubectl and sops are replaced by small shell scripts here (the real ones would need a registry or a
 * cluster); what is tested is our side: the bound, the kill, and the message.
 */

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'restate-stack-external-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A program that runs `body` (sh). */
function program(name: string, body: string): string {
  const file = join(scratch, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

const call = (helmExecutable: string, timeoutSeconds = 5) =>
  helmTemplate({
    helmExecutable,
    chart: 'oci://ghcr.io/restatedev/restate-operator-helm',
    version: '1.7.4',
    namespace: 'restate-operator',
    releaseName: 'restate-operator',
    flags: ['--include-crds'],
    workdir: scratch,
    timeoutSeconds,
  });

describe('helm template', () => {
  test('a hanging helm is stopped after its bound, and the error says what it waited for', () => {
    // GIVEN a helm that never answers WHEN rendering with a 1 s bound
    const helm = program('helm', 'exec sleep 30');
    const started = Date.now();
    // THEN it fails within a few seconds, naming the chart it was pulling
    expect(() => call(helm, 1)).toThrow(
      'helm template oci://ghcr.io/restatedev/restate-operator-helm --version 1.7.4 did not finish within 1 s ' +
        '(waiting for helm to pull and render the chart from oci://ghcr.io/restatedev/restate-operator-helm); check the registry is reachable',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('garbage from helm is refused with the document and line', () => {
    const helm = program('helm', `printf 'Pulled: ghcr.io/x\\n---\\nkind: [\\n'`);
    expect(() => call(helm)).toThrow(
      new RegExp(
        'printed output that cannot go into the target folder:\\n {2}document 1 is not a Kubernetes object ' +
          '\\(apiVersion, kind and metadata.name\\): \\{"Pulled":"ghcr.io\\/x"\\}\\n {2}document 2 \\(line 4\\) is not valid YAML: ',
      ),
    );
  });

  test('a plain-text Secret in the rendered chart is refused', () => {
    const helm = program('helm', `printf 'apiVersion: v1\\nkind: Secret\\nmetadata: {name: token}\\nstringData: {password: hunter2}\\n'`);
    expect(() => call(helm)).toThrow('document 1 is Secret token with data in plain text; it would be committed to Git with the manifests');
  });

  test('Kubernetes objects, a Secret without data and empty documents pass', () => {
    expect(
      renderedObjectProblems(
        '---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\ntype: kubernetes.io/service-account-token\n',
      ),
    ).toEqual([]);
  });
});

describe('kubectl', () => {
  test('a hanging kubectl is stopped after its bound, naming the command', () => {
    // GIVEN a kubectl that never answers (as with an unreachable API server, even with --timeout)
    const kubectl = new KubectlProcess(process.env, program('kubectl', 'exec sleep 30'));
    // WHEN applying with a 1 s bound THEN
    expect(() => kubectl.run(['--context', 'dev', 'apply', '--timeout=10s', '-f', 'x.yaml'], { timeoutSeconds: 1 })).toThrow(
      'kubectl --context dev apply --timeout=10s -f x.yaml did not finish within 1 s and was stopped: it was waiting for the API server of that ' +
        'context to answer. Check that the cluster is reachable (VPN, kubeconfig) and run the command again.',
    );
  });

  test('a kubectl that answers in time is not affected', () => {
    const kubectl = new KubectlProcess(process.env, program('kubectl', 'echo "$@"'));
    expect(kubectl.run(['version'], { timeoutSeconds: 5 })).toEqual({ code: 0, stdout: 'version\n', stderr: '' });
  });
});

describe('sops', () => {
  test('a sops waiting for its key is stopped after its bound', () => {
    // GIVEN a sops that waits (a KMS that does not answer) and a bound lowered for the test
    const sops = new SopsProcess(process.env, program('sops', 'exec sleep 30'), 1);
    // THEN
    expect(() => sops.decrypt('values/secrets/x.sops.yaml')).toThrow(
      'did not decrypt values/secrets/x.sops.yaml within 1 s and was stopped: it was waiting for its key (a cloud KMS that does not answer, ' +
        'or a PGP agent asking for a passphrase). Nothing was applied.',
    );
  });
});

describe('hints for copy and paste are shell-quoted', () => {
  test('an argument with shell syntax stays one inert word', () => {
    // GIVEN a kube context name holding a command
    const line = shellLine(['--context', 'prod;rm -rf ~', 'get', "it's"]);
    // THEN
    expect(line).toBe(`--context 'prod;rm -rf ~' get 'it'\\''s'`);
  });

  test('the hint to create a Secret by hand keeps a hostile kube context inert', () => {
    // GIVEN a context name with a command in it WHEN the hint is printed
    const hint = createSecretHint('prod;rm -rf ~', {
      name: 'creds',
      namespace: 'restate-prod',
      keys: ['AWS_ACCESS_KEY_ID', 'key.two'],
      source: 'existing-secret',
      requiredByPods: true,
    });
    // THEN the context is one single-quoted word, and the value still comes from the variable
    expect(hint).toBe(
      '`kubectl --context \'prod;rm -rf ~\' -n restate-prod create secret generic creds --from-literal=AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" --from-literal=key.two="$KEY_TWO"` ' +
        '(with the values in $AWS_ACCESS_KEY_ID and $KEY_TWO, which keeps them out of the shell history)',
    );
  });

  test('the hint to apply a SOPS file by hand quotes the file and the context', () => {
    expect(sopsApplyHint('my ctx', 'values/my secrets/x.sops.yaml')).toBe(
      "`sops --decrypt 'values/my secrets/x.sops.yaml' | kubectl --context 'my ctx' apply --server-side --field-manager=restate-stack -f -`",
    );
  });

  test('plain words are left as they are', () => {
    expect(shellQuote('restate-dev/x.yaml')).toBe('restate-dev/x.yaml');
  });
});
