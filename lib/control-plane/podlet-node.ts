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
import { awaitNodeEndpoint, keepLease, registerNode } from './node-registration';
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

  await registerNode(cp, name, { unschedulable: false, message: 'the podlet' });
  const ended = () =>
    child.exitCode !== null || child.signalCode !== null ? (child.signalCode ?? `exit status ${child.exitCode}`) : undefined;
  await awaitNodeEndpoint(cp, name, options.timeoutMs, ended, fail);

  const lease = keepLease(cp, name);
  return {
    name,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM: the podlet stops its pods (their addresses and NAT rules with them) before it exits.
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
      await lease.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
