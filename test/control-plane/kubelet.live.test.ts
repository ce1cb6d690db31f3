/**
 * `kubectl logs` and `kubectl exec` through the real API server to the stand-in kubelet's node endpoint
 * (./kubelet-node.ts, ./kubelet-stand-in.ts): the Node's address and port, the API server's kubelet client
 * certificate, and exec's v5 WebSocket, which the API server proxies to a Node declaring ExtendWebSocketsToKubelet.
 */
import { type ControlPlane, KUBELET_PORT, startControlPlane } from '../../lib/control-plane/harness';
import { SPDY_REFUSAL } from '../../lib/control-plane/kubelet-node';
import { type KubeletNode, startKubeletNode } from './kubelet-stand-in';
import { KUBELET_ADDRESS } from '../../lib/control-plane/pki';

describe('the stand-in kubelet serves logs and exec through the real API server', () => {
  let cp: ControlPlane;
  let node: KubeletNode;

  beforeAll(async () => {
    cp = await startControlPlane();
    node = await startKubeletNode(cp, 'kubelet-1');
    await cp.kubectl(['create', 'namespace', 'apps']);
    // The ServiceAccount admission plugin refuses pods until the controller made the namespace's `default`.
    const deadline = Date.now() + 60_000;
    while ((await cp.kubectl(['-n', 'apps', 'get', 'serviceaccount', 'default'], { check: false })).code !== 0) {
      if (Date.now() > deadline) throw new Error('waited 60 s for ServiceAccount apps/default (the controller manager makes it)');
      await new Promise((done) => setTimeout(done, 200));
    }
    // A pod placed on the Node by its spec (the scheduler places nothing there): what exec and logs need is a node.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'apps' },
      spec: { nodeName: node.name, containers: [{ name: 'main', image: 'docker.io/library/busybox:1.37', command: ['sleep', '1d'] }] },
    };
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await cp?.stop();
  }, 60_000);

  test('kubectl logs returns what the container wrote, --tail its last lines, --previous the instance before', async () => {
    // GIVEN what the container wrote, and what its previous instance wrote
    node.writeLog('apps', 'web', 'main', 'starting\nserving on :8080\nready\n');
    node.writeLog('apps', 'web', 'main', 'crashed: out of memory\n', { previous: true });

    // WHEN asking through the API server
    const all = await cp.kubectl(['-n', 'apps', 'logs', 'web']);
    const tail = await cp.kubectl(['-n', 'apps', 'logs', 'pod/web', '-c', 'main', '--tail=2']);
    const previous = await cp.kubectl(['-n', 'apps', 'logs', 'web', '--previous']);

    // THEN each is the container's own text
    expect(all.stdout).toBe('starting\nserving on :8080\nready\n');
    expect(tail.stdout).toBe('serving on :8080\nready\n');
    expect(previous.stdout).toBe('crashed: out of memory\n');
  });

  test("--previous of a container that never restarted is the kubelet's refusal, relayed by the server", async () => {
    // GIVEN a second pod on the node with no earlier instance
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fresh', namespace: 'apps' },
      spec: { nodeName: node.name, containers: [{ name: 'main', image: 'docker.io/library/busybox:1.37' }] },
    };
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });

    // WHEN asking for its previous log
    const run = await cp.kubectl(['-n', 'apps', 'logs', 'fresh', '--previous'], { check: false });

    // THEN kubectl fails with the kubelet's words
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('previous terminated container "main" in pod "fresh" not found');
  });

  test('kubectl exec prints both streams apart and exits with the command status', async () => {
    // GIVEN the pod on the node
    // WHEN running a command that writes to each stream and exits 3
    const run = await cp.kubectl(['-n', 'apps', 'exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { check: false });

    // THEN stdout and stderr arrive on their own streams, and kubectl exits 3, reading the status the kubelet sent
    expect(run.stdout).toBe('out\n');
    expect(run.stderr).toBe('err\ncommand terminated with exit code 3\n');
    expect(run.code).toBe(3);
    // AND the API server handed the WebSocket to the kubelet as it came (no translation to SPDY on the way)
    const metrics = (await cp.kubectl(['get', '--raw', '/metrics'])).stdout;
    const count = (type: string) =>
      Number(
        new RegExp(`^apiserver_websocket_streaming_requests_total\\{proxy_type="${type}",subresource="exec"\\} (\\d+)$`, 'm').exec(
          metrics,
        )?.[1] ?? 0,
      );
    expect([count('proxied_to_kubelet') > 0, count('translated_at_apiserver')]).toEqual([true, 0]);
  });

  test("the API server's node proxy reaches the node endpoint at the Node's private address", async () => {
    // GIVEN the Node as the stand-in registered it
    const nodeObject = JSON.parse((await cp.kubectl(['get', 'node', node.name, '-o', 'json'])).stdout);

    // WHEN asking the node endpoint's health through the API server
    const health = await cp.kubectl(['get', '--raw', `/api/v1/nodes/${node.name}/proxy/healthz`]);

    // THEN the address is not loopback (which the node proxy refuses), and the endpoint answered there
    expect(nodeObject.status.addresses).toEqual([{ type: 'InternalIP', address: KUBELET_ADDRESS }]);
    expect(nodeObject.status.daemonEndpoints.kubeletEndpoint.Port).toBe(KUBELET_PORT);
    expect(health.stdout).toBe('ok');
  });

  test("SPDY is not served: a kubectl told not to use WebSockets gets the stand-in's refusal", async () => {
    // GIVEN kubectl's switch back to SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false: the API server proxies SPDY as is)
    // WHEN running a command
    const run = await cp.kubectl(['-n', 'apps', 'exec', 'web', '--', 'true'], {
      check: false,
      env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
    });

    // THEN it fails, and says why
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(SPDY_REFUSAL);
  });

  test('kubectl exec -i feeds stdin to the command, and its end closes the command input', async () => {
    // GIVEN two lines of input
    // WHEN a command reads all of its input (it ends only when stdin is closed: v5's close signal)
    const run = await cp.kubectl(['-n', 'apps', 'exec', '-i', 'web', '--', 'sh', '-c', 'wc -l'], {
      input: 'one\ntwo\n',
      check: false,
    });

    // THEN it counted both lines and exited 0
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('2');
    expect(run.code).toBe(0);
  });

  test("the pod's restatectl is npm's real binary, run on the node", async () => {
    // GIVEN the node's PATH (npm's restatectl first, as verify maps the image)
    // WHEN running restatectl as the deploy tasks do
    const run = await cp.kubectl(['-n', 'apps', 'exec', 'web', '--', 'restatectl', '--version'], { check: false });

    // THEN it answers with its version, the one the devDependency pins
    expect(run.stdout).toMatch(/restatectl.*1\.7\.12/);
    expect(run.code).toBe(0);
  });
});
