/**
 * The control plane under the tests is the real thing: the pinned version answers, kubectl creates what a user
 * creates, the controller manager and the scheduler act on it, admission refuses what a real cluster refuses, and
 * a synthesized target applies server-side and re-applies as a no-op. Needs Linux and root (or unprivileged user
 * namespaces) for its network namespace, and the binaries built by the test run's global setup.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MODULE_DIR } from '../../lib/control-plane/build';
import { lostFields } from './fields';
import { type ControlPlane, PORTS, processAlive, startControlPlane } from '../../lib/control-plane/harness';
import { installCrds } from '../../lib/control-plane/install-crds';
import { readPin } from '../../lib/control-plane/pin';
import { fixtureDist } from '../support/fixture-dist';
import { crds as argoCdCrds } from '../../imports/crds/argoproj.io-v3.5.1';
import { crds as operatorCrds } from '../../imports/crds/restate.dev-v1.7.4';

const FIELD_MANAGER = 'restate-stack';
const pin = readPin(readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8'));

// biome-ignore lint/suspicious/noExplicitAny: objects as kubectl returns them
type Obj = any;

function yamlObjects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJSON())
    .filter(Boolean);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a control plane built from the pinned Go modules', () => {
  let cp: ControlPlane;
  const json = async (args: string[]): Promise<Obj> => JSON.parse((await cp.kubectl([...args, '-o', 'json'])).stdout);

  /** A namespace whose `default` ServiceAccount exists (the controller manager makes it; pods need it to be admitted). */
  async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    const object = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(object) });
    await waitFor(`ServiceAccount ${name}/default`, async () =>
      (await cp.kubectl(['get', 'sa', 'default', '-n', name], { check: false })).code === 0 ? true : undefined,
    );
  }

  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  test('the API server, kubectl and etcd report the versions go.mod pins', async () => {
    // GIVEN the running control plane
    // WHEN the server, the client and etcd are asked for their versions
    const server = JSON.parse((await cp.kubectl(['get', '--raw', '/version'])).stdout);
    const client = await json(['version', '--client']);
    const etcdScript = `fetch('http://127.0.0.1:${PORTS.etcdClient}/version').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    const etcd = JSON.parse((await cp.run(process.execPath, ['-e', etcdScript])).stdout);

    // THEN each is the pinned release, not a development default
    expect(server.gitVersion).toBe(pin.kubernetes);
    expect(`v${server.major}.${server.minor}`).toBe(pin.kubernetes.replace(/\.\d+$/, ''));
    expect(client.clientVersion.gitVersion).toBe(pin.kubernetes);
    expect(`v${etcd.etcdserver}`).toBe(pin.etcd);
  });

  test('every component listens on 127.0.0.1 only, inside a namespace whose only interface is lo', async () => {
    // GIVEN the running control plane
    // WHEN its network namespace's interfaces and listening sockets are listed
    const links = (await cp.run('ip', ['-o', 'link', 'show'])).stdout.trim().split('\n');
    const listeners = (await cp.run('ss', ['-Hltnu'])).stdout
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[4]);

    // THEN there is only loopback, nothing listens on a wildcard address, and the components' ports are among them
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^\d+: lo:/);
    expect(listeners.filter((address) => !address.startsWith('127.0.0.1:'))).toEqual([]);
    const ports = new Set(listeners.map((address) => Number(address.split(':').pop())));
    expect([...Object.values(PORTS)].filter((port) => !ports.has(port))).toEqual([]);
  });

  test('a Deployment made with kubectl gets its ReplicaSet and Pods, Pending without nodes, then bound to a Node', async () => {
    // GIVEN a namespace and a Deployment of two replicas, made with the built kubectl
    await namespace('apps');
    await cp.kubectl(['create', 'deployment', 'web', '--image=registry.k8s.io/pause:3.10', '--replicas=2', '-n', 'apps']);

    // WHEN the controller manager has made its ReplicaSet and Pods, and the scheduler has looked at them
    const pods = await waitFor('two Pods the scheduler found no node for', async () => {
      const items: Obj[] = (await json(['get', 'pods', '-n', 'apps'])).items;
      const unschedulable = items.filter((pod) =>
        pod.status.conditions?.some((c: Obj) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'),
      );
      return unschedulable.length === 2 ? items : undefined;
    });
    const replicaSets: Obj[] = (await json(['get', 'replicasets', '-n', 'apps'])).items;

    // THEN the ReplicaSet belongs to the Deployment, the Pods to the ReplicaSet, Pending and on no node, each with
    // the service-account token volume the ServiceAccount admission plugin adds
    expect(replicaSets).toHaveLength(1);
    expect(replicaSets[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'Deployment', name: 'web' });
    for (const pod of pods) {
      expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: replicaSets[0].metadata.name });
      expect(pod.status.phase).toBe('Pending');
      expect(pod.spec.nodeName).toBeUndefined();
      expect(pod.spec.volumes.some((v: Obj) => v.name.startsWith('kube-api-access-') && v.projected)).toBe(true);
    }

    // WHEN a Node object that says it is Ready appears (no kubelet runs: it is only an object)
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await cp.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
      }),
    });
    const resources = { cpu: '4', memory: '8Gi', pods: '110' };
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'test object',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    };
    const status = { capacity: resources, allocatable: resources, conditions: [ready] };
    await cp.kubectl(['patch', 'node', 'node-1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);

    // THEN the scheduler binds both Pods to it
    const bound = await waitFor('both Pods bound to node-1', async () => {
      const items: Obj[] = (await json(['get', 'pods', '-n', 'apps'])).items;
      return items.length === 2 && items.every((pod) => pod.spec.nodeName === 'node-1') ? items : undefined;
    });
    expect(bound.map((pod) => pod.spec.nodeName)).toEqual(['node-1', 'node-1']);
  }, 120_000);

  test('PodSecurity admission refuses a privileged Pod where the namespace enforces restricted, and only there', async () => {
    // GIVEN a namespace that enforces the restricted Pod Security Standard, and one that does not
    await namespace('locked', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    await namespace('open');
    const pod = (ns: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', securityContext: { privileged: true } }] },
    });

    // WHEN the same privileged Pod is created in each
    const refused = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod('locked')), check: false });
    const accepted = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod('open')), check: false });

    // THEN the restricted namespace refuses it, naming PodSecurity and the privileged container; the other takes it
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext\.privileged=true\)/,
    );
    expect(accepted.code).toBe(0);
  });

  test('a synthesized target applies server-side in order, keeps every field written, and a second apply changes nothing', async () => {
    // GIVEN what Argo CD's install and the operator's chart put there first: their CRDs (Argo CD v3.5.1, operator
    // 1.7.4, as generated into imports/crds/) and the argocd namespace
    await installCrds(cp, [...argoCdCrds, ...operatorCrds]);
    await namespace('argocd');
    const files = ['0000-operator.k8s.yaml', '0001-cluster.k8s.yaml'].map((name) => join(fixtureDist(), 'dev', 'vultr', name));
    const apply = (file: string) => cp.kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file]);

    // WHEN dev/vultr's numbered files are applied in order, as the deploy tasks do
    for (const file of files) await apply(file);
    const written = files.flatMap(yamlObjects);
    const live = async (object: Obj): Promise<Obj> =>
      json([
        'get',
        `${object.kind}.${object.apiVersion.split('/')[0]}`,
        object.metadata.name,
        ...(object.metadata.namespace ? ['-n', object.metadata.namespace] : []),
      ]);
    const first = await Promise.all(written.map(live));

    // THEN every field written comes back as written
    expect(written.map((object) => object.kind)).toEqual(['Application', 'RestateCluster']);
    written.forEach((object, index) => expect(lostFields(object, first[index])).toEqual([]));

    // WHEN the same files are diffed and applied again
    const diffs = await Promise.all(
      files.map((file) => cp.kubectl(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file], { check: false })),
    );
    for (const file of files) await apply(file);
    const second = await Promise.all(written.map(live));

    // THEN kubectl diff finds nothing (exit status 0, no output) and the objects were not written again
    expect(diffs.map((d) => [d.code, d.stdout])).toEqual(files.map(() => [0, '']));
    expect(second.map((o) => o.metadata.resourceVersion)).toEqual(first.map((o) => o.metadata.resourceVersion));

    // AND a changed file is not empty to kubectl diff (the check above can fail): one more replica
    const changed = join(mkdtempSync(join(tmpdir(), 'changed-')), 'cluster.yaml');
    writeFileSync(changed, readFileSync(files[1], 'utf8').replace(/^ {4}replicas: 3$/m, '    replicas: 4'));
    const diff = await cp.kubectl(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', changed], { check: false });
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^- {4}replicas: 3$/m);
    expect(diff.stdout).toMatch(/^\+ {4}replicas: 4$/m);
  }, 120_000);

  test('stop ends every process of the control plane, by PID', async () => {
    // GIVEN the running control plane's processes
    const pids = [...cp.pids.values(), cp.namespacePid];
    expect(pids.every(processAlive)).toBe(true);

    // WHEN it is stopped
    await cp.stop();

    // THEN none of them is left
    expect(pids.filter(processAlive)).toEqual([]);
  }, 60_000);
});
