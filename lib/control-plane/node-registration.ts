/**
 * What a kubelet does for its Node through the API, shared by the podlet's Node (./podlet-node.ts) and the tests'
 * stand-in kubelet: registers the Node with its address, kubelet port and Ready condition, keeps its Lease renewed
 * (the node lifecycle controller taints and evicts the pods of a Node whose Lease lapses), and waits until the API
 * server reaches the node endpoint (the node proxy takes the same address, port and client certificate as logs and
 * exec).
 */
import { type ControlPlane, KUBELET_PORT } from './harness';
import { KUBELET_ADDRESS } from './pki';

/** How often the Node's Lease is renewed (the kubelet's default, nodelease: 10 s of a 40 s lease). */
const LEASE_RENEW_MS = 10_000;

async function renewLease(cp: ControlPlane, name: string): Promise<void> {
  const renewTime = new Date().toISOString().replace(/Z$/, '000Z');
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
  };
  await cp.kubectl(['apply', '--server-side', '--field-manager=kubelet', '-f', '-'], { input: JSON.stringify(lease) });
}

/** Creates Node `name` (unschedulable when asked), writes its status Ready with `message`, and renews its Lease once. */
export async function registerNode(
  cp: ControlPlane,
  name: string,
  options: { readonly unschedulable: boolean; readonly message: string },
): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = { cpu: '64', memory: '512Gi', pods: '110' };
  await cp.kubectl(['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      spec: options.unschedulable ? { unschedulable: true } : {},
    }),
  });
  const status = {
    addresses: [{ type: 'InternalIP', address: KUBELET_ADDRESS }],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    // subresources.go: with this the API server hands a v5 WebSocket exec to the kubelet as it came
    declaredFeatures: ['ExtendWebSocketsToKubelet'],
    capacity: resources,
    allocatable: resources,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: options.message, lastHeartbeatTime: now, lastTransitionTime: now },
    ],
  };
  await cp.kubectl(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  await renewLease(cp, name);
}

/**
 * Polls until the API server reaches Node `name`'s endpoint; `fail` (which throws) when `ended` says its process ended
 * or after `timeoutMs`, with the last answer.
 */
export async function awaitNodeEndpoint(
  cp: ControlPlane,
  name: string,
  timeoutMs: number,
  ended: () => string | undefined,
  fail: (why: string) => never,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = ended();
    if (gone) fail(`it ended (${gone})`);
    const answer = await cp.kubectl(['get', '--raw', `/api/v1/nodes/${name}/proxy/healthz`], { check: false, timeoutMs: 10_000 });
    if (answer.code === 0 && answer.stdout.trim() === 'ok') return;
    if (Date.now() > deadline)
      fail(`the API server did not reach it within ${timeoutMs} ms (last answer: ${(answer.stderr || answer.stdout).trim()})`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** Renews Node `name`'s Lease every 10 s until stopped (a failed renewal is retried by the next one). */
export function keepLease(cp: ControlPlane, name: string): { stop(): Promise<void> } {
  let renewal: Promise<void> = Promise.resolve();
  const timer = setInterval(() => (renewal = renewLease(cp, name).catch(() => undefined)), LEASE_RENEW_MS);
  return {
    async stop() {
      clearInterval(timer);
      await renewal;
    },
  };
}
