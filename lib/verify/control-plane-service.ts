/**
 * The SDK counter service (./app/counter-service.ts) beside the cluster on verify's control plane, and what the
 * ledger checks of ./service-checks.ts need there: callers that reach the cluster's Services, and kills and restarts
 * of the real pods.
 *
 * The service is a process inside the control plane's network namespace at its own private address (not a pod: the
 * podlet runs Restate's image only), published as a user publishes a workload outside the cluster: a headless Service
 * `counter` in namespace `verify-services` with an EndpointSlice naming that address, which the podlet's names serve
 * to the Restate pods (`counter.verify-services.svc.cluster.local`). Calls to Service `restate` (ingress 8080, admin
 * 9070) go to one Ready endpoint of its EndpointSlices, as written by the real EndpointSlice controller, picked per
 * call (as kube-proxy picks one per connection; no kube-proxy runs here), with curl inside the namespace.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ControlPlane, processAlive } from '../control-plane/harness';
import { CLUSTER_SERVICE, podName } from '../target-folder/operator-names';
import { activeLeaders, probeLeaders } from './cluster-checks';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import type { HttpCallRequest, HttpCallResponse } from './http-call';
import type { PodRestatectl } from './pod-restatectl';
import type { Caller, ClusterControl, ServiceEndpoints } from './service-checks';

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server returns them
type Obj = any;

/** The service's address: private, on the control plane namespace's loopback, beside the pods' 10.254.1.N. */
export const SERVICE_ADDRESS = '10.254.2.1';
const SERVICE_PORT = 9080;
const SERVICE_NAMESPACE = 'verify-services';
const SERVICE_NAME = 'counter';
const SERVICE_FILE = join(__dirname, 'app', 'counter-service.ts');

/** The counter service's process and the Service that names it. */
export class ControlPlaneService {
  public readonly pod = { namespace: SERVICE_NAMESPACE, name: SERVICE_NAME };
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'verify-service-'));

  constructor(private readonly cp: ControlPlane) {}

  /** The URI a user registers: the Service's name, which the Restate pods resolve. */
  get uri(): string {
    return `http://${SERVICE_NAME}.${SERVICE_NAMESPACE}.svc.cluster.local:${SERVICE_PORT}`;
  }

  async start(deadline: Deadline): Promise<void> {
    const { cp } = this;
    await cp.run('ip', ['addr', 'add', `${SERVICE_ADDRESS}/32`, 'dev', 'lo']);
    const log = join(this.dir, 'service.log');
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const child = cp.start(process.execPath, ['--import', tsx, SERVICE_FILE, `${SERVICE_ADDRESS}:${SERVICE_PORT}`], log);
    this.child = child;
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SERVICE_NAMESPACE } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: SERVICE_NAME, namespace: SERVICE_NAMESPACE },
        spec: { clusterIP: 'None', ports: [{ name: 'http', port: SERVICE_PORT, protocol: 'TCP' }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: SERVICE_NAME, namespace: SERVICE_NAMESPACE, labels: { 'kubernetes.io/service-name': SERVICE_NAME } },
        addressType: 'IPv4',
        endpoints: [{ addresses: [SERVICE_ADDRESS], conditions: { ready: true } }],
        ports: [{ name: 'http', port: SERVICE_PORT, protocol: 'TCP' }],
      },
    ];
    for (const object of objects)
      await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], { input: JSON.stringify(object) });
    await pollUntil(`the counter service listening on ${SERVICE_ADDRESS}:${SERVICE_PORT}`, deadline, 250, async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new VerifyError(`the counter service ended (${child.signalCode ?? child.exitCode})`);
      // (the SDK serves HTTP/2 without TLS, as in the model: curl asks it so)
      const url = `http://${SERVICE_ADDRESS}:${SERVICE_PORT}/`;
      const run = await cp.run('curl', ['-s', '--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_code}', url], { check: false });
      return run.stdout !== '000' && run.stdout !== '' ? { done: true, value: undefined } : { done: false, reason: 'not listening' };
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGKILL');
      await exited;
    }
    await this.cp.run('ip', ['addr', 'del', `${SERVICE_ADDRESS}/32`, 'dev', 'lo'], { check: false }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One Ready address of Service `name`'s EndpointSlices in `namespace`, picked at random; undefined when none. */
async function readyEndpoint(cp: ControlPlane, namespace: string, name: string): Promise<string | undefined> {
  const run = await cp.kubectl(['-n', namespace, 'get', 'endpointslices', '-l', `kubernetes.io/service-name=${name}`, '-o', 'json']);
  const ready = (JSON.parse(run.stdout).items as Obj[])
    .flatMap((s) => s.endpoints ?? [])
    .filter((e: Obj) => e.conditions?.ready !== false)
    .flatMap((e: Obj) => e.addresses ?? []);
  return ready.length === 0 ? undefined : ready[Math.floor(Math.random() * ready.length)];
}

/**
 * A caller inside the control plane's namespace (curl); a URL whose host is Service `restate` goes to one of its Ready
 * endpoints. Rejects on a connection error or the time limit, as ./http-call.ts does.
 */
export function namespaceCaller(cp: ControlPlane, clusterNamespace: string): Caller {
  return {
    async http(call: HttpCallRequest): Promise<HttpCallResponse> {
      const url = new URL(call.url);
      if (url.hostname === CLUSTER_SERVICE) {
        const address = await readyEndpoint(cp, clusterNamespace, CLUSTER_SERVICE);
        if (!address) throw new Error(`Service ${clusterNamespace}/${CLUSTER_SERVICE} has no Ready endpoint`);
        url.hostname = address;
      }
      const headers = { ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}), ...call.headers };
      const args = [
        '-sS',
        '-X',
        call.method ?? 'GET',
        '--max-time',
        String(Math.max(1, call.timeoutMs / 1000)),
        ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
        ...(call.body !== undefined ? ['--data-binary', '@-'] : []),
        '-w',
        '\n%{http_code}',
        url.toString(),
      ];
      const run = await cp.run('curl', args, { check: false, input: call.body ?? '', timeoutMs: call.timeoutMs + 5000 });
      if (run.code !== 0) throw new Error(`curl ${url}: exit ${run.code}: ${run.stderr.trim()}`);
      const cut = run.stdout.lastIndexOf('\n');
      return { status: Number(run.stdout.slice(cut + 1)), body: run.stdout.slice(0, cut) };
    },
  };
}

/** Service `restate`'s ingress and admin API, both through the namespace caller. */
export function controlPlaneEndpoints(cp: ControlPlane, clusterNamespace: string): ServiceEndpoints {
  const caller = namespaceCaller(cp, clusterNamespace);
  return { ingress: `http://${CLUSTER_SERVICE}:8080`, caller, admin: `http://${CLUSTER_SERVICE}:9070`, adminCaller: caller };
}

export interface PodControlProps {
  readonly cp: ControlPlane;
  readonly namespace: string;
  readonly replicas: number;
  readonly partitions: number;
  readonly ctl: PodRestatectl;
  /** The pods killed and not back yet (the session's: restatectl avoids them). */
  readonly down: Set<string>;
  readonly addresses: () => string[];
  readonly deadline: Deadline;
  readonly readyBoundMs: number;
}

/**
 * Kills and restarts of the real pods for the ledger checks: a kill SIGKILLs the pod's server (its container's
 * process) and waits until it is gone; the podlet restarts the container by itself (restartPolicy Always, with the
 * kubelet's back-off from the second restart on), and `restart` waits for that: the pod Ready again by its probe and
 * every partition led.
 */
export function podControl(props: PodControlProps): ClusterControl {
  const { cp, namespace, ctl } = props;
  const restarts = new Map<number, number>();
  const status = async (ordinal: number): Promise<Obj> =>
    JSON.parse((await cp.kubectl(['-n', namespace, 'get', 'pod', podName(ordinal), '-o', 'json'])).stdout).status.containerStatuses[0];
  return {
    nodeNames: Array.from({ length: props.replicas }, (_, i) => podName(i)),
    kill: async (ordinal) => {
      const before = await status(ordinal);
      const pid = Number(/^podlet:\/\/(\d+)$/.exec(before.containerID ?? '')?.[1]);
      if (!(pid > 0)) throw new VerifyError(`${podName(ordinal)} has no running container to kill: ${JSON.stringify(before)}`);
      restarts.set(ordinal, before.restartCount);
      props.down.add(podName(ordinal));
      process.kill(pid, 'SIGKILL');
      await pollUntil(`${podName(ordinal)}'s server (pid ${pid}) gone`, props.deadline.within(10_000), 50, async () =>
        processAlive(pid) ? { done: false, reason: 'still there' } : { done: true, value: undefined },
      );
    },
    restart: async (ordinal) => {
      const name = podName(ordinal);
      const before = restarts.get(ordinal) ?? 0;
      await pollUntil(`${name} restarted by the podlet and Ready`, props.deadline.within(props.readyBoundMs), 500, async () => {
        const s = await status(ordinal);
        return s.restartCount > before && s.ready ? { done: true, value: undefined } : { done: false, reason: JSON.stringify(s) };
      });
      props.down.delete(name);
      await pollUntil(
        `${name} back: an active leader for each of the ${props.partitions} partitions`,
        props.deadline.within(props.readyBoundMs),
        1000,
        () => probeLeaders(ctl, props.addresses(), props.partitions),
      );
    },
    leaderOfKey: async (key) => {
      const ranges = await ctl.sql<{ partition_id: number; s: string; e: string }>(
        props.addresses(),
        'SELECT partition_id, CAST(start_key AS VARCHAR) AS s, CAST(end_key AS VARCHAR) AS e FROM partitions',
      );
      const partition = ranges.find((r) => BigInt(r.s) <= key && key <= BigInt(r.e));
      if (!partition) throw new VerifyError(`no partition holds key ${key}`);
      const names = (await activeLeaders(ctl, props.addresses())).get(partition.partition_id) ?? [];
      const ordinal = names.map((n) => Number(/^restate-(\d+)$/.exec(n)?.[1])).find((o) => o >= 0 && !props.down.has(podName(o)));
      if (ordinal === undefined) throw new VerifyError(`partition ${partition.partition_id} has no active leader on a live pod`);
      return ordinal;
    },
  };
}
