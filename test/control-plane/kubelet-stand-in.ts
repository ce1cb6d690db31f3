/**
 * Stand-in for the kubelet: the pod status it would write, written through the API with no container behind it; and,
 * when a test starts it (`startKubeletNode`), a Node with the kubelet's node endpoint (./kubelet-node.ts) that serves
 * `kubectl logs` and `kubectl exec` through the real API server.
 *
 * Derived from kubernetes v1.37.2 (the pin of ./go.mod): `pkg/kubelet/kubelet_pods.go` (generateAPIPodStatus,
 * getPhase: a pod whose containers all run is Running; a pod whose containers all exited 0 with restartPolicy
 * Never/OnFailure is Succeeded), `pkg/kubelet/status/generate.go` (the Initialized, ContainersReady and Ready
 * conditions) and `pkg/kubelet/status/status_manager.go` (the kubelet writes `pods/<name>/status`);
 * `pkg/kubelet/kubelet_node_status.go` and `pkg/kubelet/nodelease` for the Node.
 *
 * A pod being deleted is deleted for good once its grace period is asked for, as the kubelet does once the containers
 * stopped (status_manager.go, canBeDeleted then a delete with grace period 0). What it writes, per other pod: a Job's pod Succeeded (every container terminated, exit 0) when
 * `completeJobs`, else left Pending, or Failed (exit 1) when `failJobs`; any other pod Running with every container running, ready (when `ready` says
 * so for that pod) and restartCount 0, or, when `crashLooping` says so, not ready, its container waiting in
 * CrashLoopBackOff after 3 restarts.
 *
 * What the node endpoint proves: the Node's address, port and declared features as the API server reads them, its
 * kubelet client certificate, `kubectl logs` (with `--tail`, `--previous`) and `kubectl exec` over the v5 WebSocket
 * the API server passes through (both streams, stdin, the exit status) — the deploy tasks' commands reach the real
 * `restatectl` through the real kubectl and API server.
 *
 * With `runPods` (`startKubeletNode(cp, name, timeoutMs, { runPods: true })`) the Node is schedulable and its endpoint
 * is the podlet's (./podlet.ts): the real scheduler binds pods there and the podlet runs the real processes of those of
 * Restate's image (restate-server, restatectl, sh), with their volumes (./pod-volumes.ts), names (./pod-names.ts),
 * probes (./pod-probe.ts) and restarts, and writes their status itself; `leave` keeps this status stand-in off them.
 * What the podlet leaves unproven is in its header.
 *
 * Left unproven by the status stand-in (nothing runs a pod): images pulled, probes (Ready is written, not probed), volumes mounted (the pods'
 * claims stay Pending, so the Node is unschedulable and a test binds the pods it serves), the Secret a container's env
 * reads, restarts and crash loops, what a container prints (its log is a file the test wrote), the container's
 * filesystem, user and environment around an exec'd command, `--follow`, a TTY, attach, port-forward, SPDY, and the
 * kubelet's authorization of its caller (any certificate of the cluster CA may call).
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IN_POD_ADDRESS } from '../../lib/deploy/provision';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { type ControlPlane, KUBELET_PORT, SERVER } from '../../lib/control-plane/harness';
import type { PodletConfig } from '../../lib/control-plane/podlet';
import { type KubeletNodeConfig, logFile } from '../../lib/control-plane/kubelet-node';
import { KUBELET_ADDRESS } from '../../lib/control-plane/pki';
import { awaitNodeEndpoint, keepLease, registerNode } from '../../lib/control-plane/node-registration';
import type { Obj } from './target-cluster';

export interface KubeletStandInOptions {
  /** Whether a Job's pods succeed. @default true */
  completeJobs?: boolean;
  /** A Job's pods fail instead (their container exited 1), before `completeJobs` is looked at. @default false */
  failJobs?: boolean;
  /**
   * Pods the stand-in kubelet's Node runs: each unbound pod for which `log` gives a text is bound to `kubelet`'s Node,
   * and that text is what its containers printed (`kubectl logs`). @default none
   */
  node?: { readonly kubelet: KubeletNode; readonly log: (pod: Obj) => string | undefined };
  /** Whether a pod turns Ready once Running. @default every pod */
  ready?: (pod: Obj) => boolean;
  /** Pods whose container keeps exiting: not Ready, waiting in CrashLoopBackOff, restartCount 3. @default none */
  crashLooping?: (pod: Obj) => boolean;
  /** Pods another kubelet runs (the podlet's, ./podlet.ts): neither their status nor their deletion is touched. @default none */
  leave?: (pod: Obj) => boolean;
}

const owner = (pod: Obj): string | undefined => pod.metadata.ownerReferences?.find((o: Obj) => o.controller)?.kind;

/** The status the kubelet would write for `pod` now; undefined to leave it as it is. */
export function kubeletStatus(pod: Obj, options: KubeletStandInOptions, now: string): Obj | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const containers: Obj[] = pod.spec.containers;
  const condition = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
  if (owner(pod) === 'Job') {
    const failed = options.failJobs === true;
    if (!failed && options.completeJobs === false) return undefined;
    const exitCode = failed ? 1 : 0;
    return {
      phase: failed ? 'Failed' : 'Succeeded',
      conditions: [
        condition('PodScheduled', true),
        condition('Initialized', true),
        condition('ContainersReady', false),
        condition('Ready', false),
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode, reason: failed ? 'Error' : 'Completed', startedAt: now, finishedAt: now } },
      })),
      startTime: now,
    };
  }
  const crashing = options.crashLooping?.(pod) ?? false;
  const ready = !crashing && (options.ready ? options.ready(pod) : true);
  const wasReady = pod.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True';
  const wasCrashing = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff';
  if (phase === 'Running' && wasReady === ready && wasCrashing === crashing) return undefined;
  return {
    phase: 'Running',
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', true),
      condition('ContainersReady', ready),
      condition('Ready', ready),
    ],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready,
      restartCount: crashing ? 3 : 0,
      started: !crashing,
      // kubelet_pods.go: a container waiting to be restarted after it exited, with the reason of the back-off
      state: crashing
        ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } }
        : { running: { startedAt: now } },
      ...(crashing ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } } } : {}),
    })),
    startTime: pod.status?.startTime ?? now,
  };
}

/** One pass of the kubelet stand-in over every pod of the cluster. */
export async function kubeletPass(cp: ControlPlane, options: KubeletStandInOptions): Promise<void> {
  const pods: Obj[] = JSON.parse((await cp.kubectl(['get', 'pods', '-A', '-o', 'json'])).stdout).items;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const pod of pods) {
    if (options.leave?.(pod)) continue;
    if (pod.metadata.deletionTimestamp) {
      const { name, namespace } = pod.metadata;
      await cp.kubectl(['-n', namespace, 'delete', 'pod', name, '--grace-period=0', '--force', '--wait=false'], { check: false });
      continue;
    }
    const log = options.node && !pod.spec.nodeName ? options.node.log(pod) : undefined;
    if (options.node && log !== undefined) {
      const { name, namespace } = pod.metadata;
      for (const container of pod.spec.containers as Obj[]) options.node.kubelet.writeLog(namespace, name, container.name, log);
      await options.node.kubelet.bind(namespace, name);
    }
    const status = kubeletStatus(pod, options, now);
    if (!status) continue;
    await cp.kubectl(
      [
        '-n',
        pod.metadata.namespace,
        'patch',
        'pod',
        pod.metadata.name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status }),
      ],
      { check: false },
    );
  }
}

/** The stand-in kubelet's Node, registered and served (./kubelet-node.ts) inside the control plane's namespace. */
export interface KubeletNode {
  /** The Node object's name. */
  readonly name: string;
  /** What `kubectl logs` of that container returns from now on (`previous`: of the instance before the last restart). */
  writeLog(namespace: string, pod: string, container: string, text: string, options?: { previous?: boolean }): void;
  /** Binds a pod to this Node through the API (`pods/<name>/binding`), as the scheduler would. */
  bind(namespace: string, pod: string): Promise<void>;
  /** What the endpoint's process (with `runPods`, the podlet) printed so far. */
  output(): string;
  /**
   * With `runPods`: the hosts file the podlet keeps for the pods of `namespace` (lib/control-plane/pod-names.ts),
   * made now when no pod ran there yet (the podlet rewrites it in place), for a process of the test that resolves
   * the cluster's names as such a pod does (the real operator's provisioning call to restate-0).
   */
  hostsFile(namespace: string): string;
  /** Ends the endpoint and the Lease renewal; the Node object stays. */
  stop(): Promise<void>;
}

/**
 * Registers Node `name` as a kubelet does (`pkg/kubelet/kubelet_node_status.go`: the address, the endpoint's port in
 * `status.daemonEndpoints.kubeletEndpoint.Port`, the declared features, Ready; `pkg/kubelet/nodelease`: a Lease in
 * kube-node-lease renewed while it runs, so the node lifecycle controller neither taints nor evicts) and starts its
 * endpoint. The Node is unschedulable: the scheduler places nothing here (the pods' claims are never bound, no
 * provisioner runs), the test binds the pods it wants served (`bind`, or `spec.nodeName`).
 *
 * With `runPods`, the endpoint is the podlet's (./podlet.ts): the Node is schedulable, the real scheduler binds pods
 * to it, and the podlet runs those of Restate's image, makes the claims' volumes and serves exec inside the pod.
 */
export async function startKubeletNode(
  cp: ControlPlane,
  name = 'kubelet-1',
  timeoutMs = 30_000,
  options: { readonly runPods?: boolean } = {},
): Promise<KubeletNode> {
  // The podlet's pods run as uids of their own, which must reach their folders under it (./podlet.ts): not under the
  // test run's TMPDIR, which is private to root (test/support/temp-root.js); stop() removes it.
  const stateDir = mkdtempSync(join(options.runPods ? '/tmp' : tmpdir(), options.runPods ? 'podlet-' : 'kubelet-'));
  if (options.runPods) chmodSync(stateDir, 0o711);
  const binaries = resolveRestateBinaries();
  const config: KubeletNodeConfig & Partial<PodletConfig> = {
    port: KUBELET_PORT,
    host: KUBELET_ADDRESS,
    cert: cp.pki.kubeletServingCert,
    key: cp.pki.kubeletServingKey,
    ca: cp.pki.caCert,
    stateDir,
    path: [dirname(binaries.restatectl), dirname(binaries.server)],
    ...(options.runPods
      ? {
          nodeName: name,
          server: SERVER,
          adminCert: cp.pki.clients.admin.cert,
          adminKey: cp.pki.clients.admin.key,
          programs: { restateServer: binaries.server, restatectl: binaries.restatectl },
        }
      : {}),
  };
  const log = join(stateDir, 'kubelet-node.log');
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const child = cp.start(
    process.execPath,
    [
      '--import',
      tsx,
      join(__dirname, '..', '..', 'lib', 'control-plane', options.runPods ? 'podlet.ts' : 'kubelet-node.ts'),
      JSON.stringify(config),
    ],
    log,
  );
  const fail = (why: string): never => {
    child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    const said = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
    throw new Error(`the stand-in kubelet's endpoint for Node ${name}: ${why}; its output: ${said || '(none)'}`);
  };

  await registerNode(cp, name, { unschedulable: !options.runPods, message: 'stand-in kubelet' });
  const ended = () =>
    child.exitCode !== null || child.signalCode !== null ? (child.signalCode ?? `exit status ${child.exitCode}`) : undefined;
  await awaitNodeEndpoint(cp, name, timeoutMs, ended, fail);

  const lease = keepLease(cp, name);

  return {
    name,
    output: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    hostsFile(namespace) {
      const file = join(stateDir, 'hosts', namespace);
      mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
      if (!existsSync(file)) writeFileSync(file, '127.0.0.1\tlocalhost\n', { mode: 0o644 });
      return file;
    },
    writeLog(namespace, pod, container, text, options = {}) {
      const file = logFile(stateDir, namespace, pod, container, options.previous ?? false);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    },
    async bind(namespace, pod) {
      const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod }, target: { kind: 'Node', name } };
      await cp.kubectl(['create', '--raw', `/api/v1/namespaces/${namespace}/pods/${pod}/binding`, '-f', '-'], {
        input: JSON.stringify(binding),
      });
    },
    async stop() {
      child.kill('SIGKILL');
      await lease.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * A real `restate-server` (npm's) behind a pod's container, for what `kubectl exec … restatectl` asks: one node named
 * `nodeName`, provisioning itself (a single node's default), its fabric port at IN_POD_ADDRESS (the address the deploy
 * tasks give restatectl in the pod), on the namespace's loopback. Resolves once restatectl lists the node; killed
 * with the control plane at the latest; its folder is in the test run's temporary folder.
 */
export async function startRestateServer(cp: ControlPlane, nodeName: string, timeoutMs = 60_000): Promise<ChildProcess> {
  const binaries = resolveRestateBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'restate-server-'));
  const fabric = new URL(IN_POD_ADDRESS);
  const env = [
    `RESTATE_BIND_ADDRESS=${fabric.hostname}:${fabric.port}`,
    `RESTATE_ADMIN__BIND_ADDRESS=${fabric.hostname}:9070`,
    `RESTATE_INGRESS__BIND_ADDRESS=${fabric.hostname}:8080`,
  ];
  const log = join(dir, 'server.log');
  const child = cp.start('env', [...env, binaries.server, '--base-dir', join(dir, 'data'), '--node-name', nodeName], log);
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`restate-server for ${nodeName} ended while starting; its log ends: ${readFileSync(log, 'utf8').slice(-2000)}`);
    const answer = await cp.run(binaries.restatectl, ['status', '--address', IN_POD_ADDRESS], { check: false, timeoutMs: 10_000 });
    if (answer.code === 0 && new RegExp(`^\\s*N1:\\d+\\s+${nodeName}\\s`, 'm').test(answer.stdout)) return child;
    seen = `${answer.stdout}${answer.stderr}`.trim();
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`restatectl status did not list ${nodeName} within ${timeoutMs} ms; last answer: ${seen}`);
    }
    await sleep(250);
  }
}
