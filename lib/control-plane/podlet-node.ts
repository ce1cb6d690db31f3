/**
 * A Node whose kubelet is the podlet (./podlet.ts): registered as a kubelet registers its Node, its Lease renewed while
 * it runs, and the podlet started inside the control plane's network namespace, where it runs the pods the real
 * kube-scheduler binds to the Node and serves their `kubectl logs` and `exec` (./kubelet-node.ts).
 *
 * Derived from kubernetes v1.37.2 (the pin of ./go.mod): `pkg/kubelet/kubelet_node_status.go` (the Node's address, the
 * endpoint's port in `status.daemonEndpoints.kubeletEndpoint.Port`, Ready) and `pkg/kubelet/nodelease` (a Lease in
 * kube-node-lease renewed every 10 s: the node lifecycle controller taints and evicts a Node whose Lease is older than
 * its 50 s grace period). `declaredFeatures: [ExtendWebSocketsToKubelet]` makes the API server pass a v5 WebSocket
 * exec through unchanged (`pkg/registry/core/pod/rest/subresources.go`).
 *
 * The same Node as test/control-plane/kubelet-stand-in.ts `startKubeletNode(…, { runPods: true })` registers, for
 * verify (lib/verify/control-plane-cluster.ts), which passes the programs the pods' images map to.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ControlPlaneError } from './errors';
import { type ControlPlane, KUBELET_PORT, SERVER } from './harness';
import { KUBELET_ADDRESS } from './pki';
import type { Programs } from './pod-container';
import type { PodletConfig } from './podlet';

export interface PodletNode {
  /** The Node object's name. */
  readonly name: string;
  /** What the podlet printed so far (pods started and stopped, containers exited, failed passes). */
  output(): string;
  /** Ends the podlet (its pods' processes with it) and the Lease renewal, and removes its folder; the Node object stays. */
  stop(): Promise<void>;
}

/** How often the Node's Lease is renewed (the kubelet's default, nodelease: 10 s of a 40 s lease). */
const LEASE_RENEW_MS = 10_000;

async function renewLease(cp: ControlPlane, name: string): Promise<void> {
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace(/Z$/, '000Z') },
  };
  await cp.kubectl(['apply', '--server-side', '--field-manager=kubelet', '-f', '-'], { input: JSON.stringify(lease) });
}

/**
 * Registers Node `name`, starts the podlet for it and resolves once the API server reaches its endpoint (the node
 * proxy's `/healthz`, over the address, port and client certificate that logs and exec take). The pods' folders are
 * under /tmp (0711): the pods run as uids of their own, which a private temporary folder would shut out.
 */
export async function startPodletNode(
  cp: ControlPlane,
  options: { readonly name: string; readonly programs: Programs; readonly timeoutMs: number },
): Promise<PodletNode> {
  const { name, programs } = options;
  const stateDir = mkdtempSync(join('/tmp', 'podlet-'));
  chmodSync(stateDir, 0o711);
  const config: PodletConfig = {
    port: KUBELET_PORT,
    host: KUBELET_ADDRESS,
    cert: cp.pki.kubeletServingCert,
    key: cp.pki.kubeletServingKey,
    ca: cp.pki.caCert,
    stateDir,
    path: [dirname(programs.restatectl), dirname(programs.restateServer)],
    nodeName: name,
    server: SERVER,
    adminCert: cp.pki.clients.admin.cert,
    adminKey: cp.pki.clients.admin.key,
    programs,
  };
  const log = join(stateDir, 'podlet.log');
  const output = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const child = cp.start(process.execPath, ['--import', tsx, join(__dirname, 'podlet.ts'), JSON.stringify(config)], log);
  const fail = (why: string): never => {
    child.kill('SIGKILL');
    const said = output().trim();
    rmSync(stateDir, { recursive: true, force: true });
    throw new ControlPlaneError(`the podlet of Node ${name}: ${why}; its output: ${said || '(none)'}`);
  };

  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = { cpu: '64', memory: '512Gi', pods: '110' };
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
  };
  await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(node) });
  const status = {
    addresses: [{ type: 'InternalIP', address: KUBELET_ADDRESS }],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    declaredFeatures: ['ExtendWebSocketsToKubelet'],
    capacity: resources,
    allocatable: resources,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the podlet', lastHeartbeatTime: now, lastTransitionTime: now },
    ],
  };
  await cp.kubectl(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  await renewLease(cp, name);

  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) fail(`it ended (${child.signalCode ?? `exit status ${child.exitCode}`})`);
    const answer = await cp.kubectl(['get', '--raw', `/api/v1/nodes/${name}/proxy/healthz`], { check: false, timeoutMs: 10_000 });
    if (answer.code === 0 && answer.stdout.trim() === 'ok') break;
    if (Date.now() > deadline)
      fail(`the API server did not reach it within ${options.timeoutMs} ms (last answer: ${(answer.stderr || answer.stdout).trim()})`);
    await new Promise((done) => setTimeout(done, 200));
  }

  let renewal: Promise<void> = Promise.resolve();
  const timer = setInterval(() => (renewal = renewLease(cp, name).catch(() => undefined)), LEASE_RENEW_MS);
  return {
    name,
    output,
    async stop() {
      clearInterval(timer);
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM: the podlet stops its pods (their addresses and NAT rules with them) before it exits.
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      await renewal;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
