/**
 * The live check's second base (`verify --on control-plane`): the target's cluster on a real Kubernetes control plane
 * (lib/control-plane/: etcd, kube-apiserver, kube-controller-manager and kube-scheduler from the cache), its manifests
 * applied from dist/ with the real kubectl (server-side, as deploy applies them), the operator's objects written by
 * the operator's part or the real operator binary (./control-plane-operator.ts), the pods made by the real StatefulSet
 * (and Job) controller, bound by the real scheduler once the real PV binder bound their claims to the podlet's
 * volumes, and run by the podlet (lib/control-plane/podlet.ts) as real restate-server processes, Ready by their own
 * probe. The checks read those pods through `kubectl exec` (./pod-restatectl.ts) and reuse ./cluster-checks.ts.
 *
 * Each step is recorded as the model's are (./live-session.ts `LiveStep`); a failed step throws StepFailed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crds as monitoringCrds } from '../../imports/crds/monitoring.coreos.com-v0.93.0';
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import { type ControlPlane, startControlPlane } from '../control-plane/harness';
import { type CrdObject, installCrds } from '../control-plane/install-crds';
import { type PodletNode, startPodletNode } from '../control-plane/podlet-node';
import { POD_ADDRESS_PREFIX } from '../control-plane/podlet';
import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../stack/provisioning/script';
import { advertisedAddress, FIRST_POD, podName } from '../target-folder/operator-names';
import type { OperatorVersion } from '../values';
import type { RestateBinaries } from './binaries';
import { activeLeaders, busiestLeader, type ExpectedLayout, probeLayout, probeLeaders } from './cluster-checks';
import type { ClusterUnderTest } from './cluster-spec';
import { type Deadline, type Probe, pollUntil } from './deadline';
import { VerifyError } from './errors';
import { type LiveStep, type SessionRecord, seconds, StepFailed } from './live-session';
import { type OperatorRun, runOperatorBinary, runOperatorPart } from './control-plane-operator';
import { operatorChart } from './operator-chart';
import { PodRestatectl } from './pod-restatectl';
import { controlPlaneEndpoints, ControlPlaneService, podControl, SERVICE_ADDRESS } from './control-plane-service';
import { runCounterAndSleep } from './live-service';
import { registerDeployment } from './service-checks';
import { lastLine, plain } from './restatectl';

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server returns them
type Obj = any;

export interface ControlPlaneCheckInput {
  /** `environment/provider`, for progress lines. */
  readonly label: string;
  /** The target's folder in dist/ (its manifests are applied from there). */
  readonly targetDir: string;
  readonly cluster: ClusterUnderTest;
  readonly expected: ExpectedLayout;
  readonly binaries: RestateBinaries;
  readonly readyBoundMs: number;
  readonly failoverBoundMs: number;
  /** A restate-operator binary to run in the operator part's place, and what named it (flag or variable). */
  readonly operatorBin?: { readonly path: string; readonly givenBy: string };
  readonly deadline: Deadline;
  readonly progress: (line: string) => void;
}

/**
 * Every partition has an active leader named by the nodes table (a pod's name); a leader the table does not resolve is
 * a node generation that is gone (activeLeaders shows it by its generational id, e.g. `N1:1`): after a kill its last
 * reports linger.
 */
async function probeCurrentLeaders(
  ctl: PodRestatectl,
  addresses: readonly string[],
  partitions: number,
): Promise<Probe<Map<number, string[]>>> {
  const leaders = await activeLeaders(ctl, addresses);
  const missing: number[] = [];
  for (let id = 0; id < partitions; id++) if (!(leaders.get(id) ?? []).some((name) => /^restate-\d+$/.test(name))) missing.push(id);
  if (missing.length === 0) return { done: true, value: leaders };
  const shown = missing.slice(0, 8).join(', ') + (missing.length > 8 ? `, … (${missing.length})` : '');
  return {
    done: false,
    reason: `${partitions - missing.length}/${partitions} partitions have an active leader of a current generation; without: ${shown}`,
  };
}

/** The Node the podlet registers. */
const NODE = 'podlet-1';
/** The operator chart's file: not applied (the operator's part or binary stands in for the chart's Deployment). */
const OPERATOR_FILE = '0000-operator.k8s.yaml';

export class ControlPlaneSession {
  public readonly steps: LiveStep[] = [];
  public readonly record: SessionRecord = {};
  private cp?: ControlPlane;
  private node?: PodletNode;
  private operator?: OperatorRun;
  private service?: ControlPlaneService;
  private ctl?: PodRestatectl;
  private readonly namespace: string;
  private readonly version: OperatorVersion;
  private readonly down = new Set<string>();
  private startedAt = 0;
  private leaders = new Map<number, string[]>();

  constructor(private readonly input: ControlPlaneCheckInput) {
    this.namespace = input.cluster.name;
    this.version = input.cluster.operatorVersion ?? '1.7.4';
  }

  private get deadline(): Deadline {
    return this.input.deadline;
  }

  say(line: string): void {
    this.input.progress(`verify ${this.input.label} (control plane): ${line}`);
  }

  /** Runs one named step: records it with its time and what it saw; on failure records that and throws StepFailed. */
  async step(name: string, action: () => Promise<string>): Promise<void> {
    const started = Date.now();
    try {
      const detail = await action();
      this.steps.push({ name, ok: true, detail, ms: Date.now() - started });
      this.say(`ok   ${name}: ${detail}`);
    } catch (error) {
      const detail = (error as Error).message;
      this.steps.push({ name, ok: false, detail, ms: Date.now() - started });
      this.say(`FAIL ${name}: ${detail}`);
      throw new StepFailed();
    }
  }

  private get plane(): ControlPlane {
    if (!this.cp) throw new VerifyError('the control plane is not running');
    return this.cp;
  }

  private async getJson(args: readonly string[]): Promise<Obj> {
    return JSON.parse((await this.plane.kubectl([...args, '-o', 'json'])).stdout);
  }

  /** The node addresses restatectl is given: every pod's advertised address but the ones killed and not back yet. */
  private addresses(): string[] {
    const all = Array.from({ length: this.input.cluster.replicas }, (_, i) => i);
    return all.filter((i) => !this.down.has(podName(i))).map(advertisedAddress);
  }

  /** The pod the checks exec into: the first one not killed. */
  private execPod(): string {
    for (let i = 0; i < this.input.cluster.replicas; i++) if (!this.down.has(podName(i))) return podName(i);
    return FIRST_POD;
  }

  /** Everything up to a provisioned, serving cluster. */
  async standUp(): Promise<void> {
    await this.startControlPlane();
    await this.applyTarget();
    await this.startOperator();
    await this.startPodlet();
    await this.podsRunning();
    await this.expectUnprovisioned();
    await this.provision();
    await this.statusExitsZero();
    await this.waitPartitionHealth();
  }

  async startControlPlane(): Promise<void> {
    await this.step('start the control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)', async () => {
      this.cp = await startControlPlane({ timeoutMs: this.deadline.within(120_000).remainingMs() });
      const cp = this.cp;
      this.ctl = new PodRestatectl(cp, this.namespace, () => this.execPod());
      return `ready after ${seconds(cp.startMs)}, binaries from ${cp.binaries.dir}, in a network namespace of its own`;
    });
  }

  /** The restate.dev CRDs of the target's operator version (and the PodMonitor's), then every cluster file of the target. */
  async applyTarget(): Promise<void> {
    await this.step(`install operator ${this.version}'s CRDs and apply the target's manifests (server-side)`, async () => {
      const cp = this.plane;
      const files = readdirSync(this.input.targetDir)
        .filter((f) => f.endsWith('.k8s.yaml') && f !== OPERATOR_FILE)
        .sort();
      const texts = files.map((f) => readFileSync(join(this.input.targetDir, f), 'utf8'));
      const monitoring = texts.some((t) => /^apiVersion: monitoring\.coreos\.com\//m.test(t));
      const crds = [...(this.version === '2.8.1' ? restate281 : restate174), ...(monitoring ? monitoringCrds : [])];
      await installCrds(cp, crds as readonly CrdObject[]);
      // The namespaces the files put objects in that nobody else makes (the operator's, as Argo CD's CreateNamespace
      // would; the PodMonitor's): the cluster's own namespace is the operator's to make.
      const namespaces = new Set<string>();
      for (const t of texts) for (const m of t.matchAll(/^ {2}namespace: (\S+)$/gm)) namespaces.add(m[1]);
      namespaces.delete(this.namespace);
      for (const ns of namespaces)
        await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], {
          input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
        });
      for (const file of files) {
        const run = await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', join(this.input.targetDir, file)], {
          check: false,
        });
        if (run.code !== 0) throw new VerifyError(`kubectl apply --server-side -f ${file} exited ${run.code}: ${run.stderr.trim()}`);
      }
      return `${crds.length} CRDs; ${files.join(', ')} applied by the real kubectl${namespaces.size ? ` (namespaces ${[...namespaces].join(', ')} made first)` : ''}`;
    });
  }

  async startOperator(): Promise<void> {
    const given = this.input.operatorBin;
    await this.step(`the operator writes its objects (${given ? 'the real operator binary' : 'the operator part'})`, async () => {
      const cp = this.plane;
      this.operator = given
        ? await runOperatorBinary(cp, given.path, operatorChart(this.input.targetDir), given.givenBy)
        : runOperatorPart(cp, this.version, this.input.binaries.restatectl);
      const operator = this.operator;
      const sts = await pollUntil(
        `StatefulSet ${this.namespace}/restate written by ${operator.what}`,
        this.deadline.within(120_000),
        500,
        async () => {
          const trouble = operator.trouble();
          if (trouble && given) throw new VerifyError(trouble);
          const run = await cp.kubectl(['-n', this.namespace, 'get', 'statefulset', 'restate', '--show-managed-fields', '-o', 'json'], {
            check: false,
          });
          if (run.code === 0) return { done: true as const, value: JSON.parse(run.stdout) };
          return { done: false as const, reason: trouble ?? (run.stderr.trim() || 'not there') };
        },
      );
      const managers = (sts.metadata.managedFields ?? []).map((f: Obj) => f.manager);
      return `${operator.what}: StatefulSet restate (${sts.spec.replicas} replicas) managed by ${[...new Set(managers)].join(', ')}`;
    });
  }

  async startPodlet(): Promise<void> {
    await this.step(`the podlet registers Node ${NODE} and runs the pods bound to it`, async () => {
      const { binaries } = this.input;
      this.node = await startPodletNode(this.plane, {
        name: NODE,
        programs: { restateServer: binaries.server, restatectl: binaries.restatectl },
        timeoutMs: this.deadline.within(60_000).remainingMs(),
      });
      return `restate-server ${binaries.server}, restatectl ${binaries.restatectl}`;
    });
  }

  private async pods(): Promise<Obj[]> {
    const listed = await this.getJson(['-n', this.namespace, 'get', 'pods', '-l', 'app.kubernetes.io/name=restate']);
    return listed.items;
  }

  /** The StatefulSet controller's pods, on claims the PV binder bound, scheduled onto the podlet's Node, their servers running. */
  async podsRunning(): Promise<void> {
    const { replicas } = this.input.cluster;
    await this.step(`the StatefulSet's ${replicas} pods run on the podlet's Node`, async () => {
      const show = (p: Obj) =>
        `${p.metadata.name} ${p.status?.phase ?? '?'}${p.spec.nodeName ? ` on ${p.spec.nodeName}` : ' unscheduled'} ${JSON.stringify(p.status?.containerStatuses?.[0]?.state ?? {})}`;
      const pods = await pollUntil(
        `${replicas} pods restate-0..${replicas - 1} bound to ${NODE} with their container running`,
        this.deadline.within(180_000),
        500,
        async () => {
          const trouble = this.operator?.trouble();
          if (trouble && this.input.operatorBin) throw new VerifyError(trouble);
          const pods = await this.pods();
          const running = pods.filter((p) => p.spec.nodeName === NODE && p.status?.containerStatuses?.[0]?.state?.running);
          if (running.length === replicas) return { done: true as const, value: running };
          return { done: false as const, reason: pods.map(show).join('; ') || `no pods${trouble ? ` (${trouble})` : ''}` };
        },
      );
      this.startedAt = Date.now();
      const claims = await this.getJson(['-n', this.namespace, 'get', 'pvc']);
      const bound = claims.items.filter((c: Obj) => c.status?.phase === 'Bound').length;
      const wrong = pods.filter((p: Obj) => !String(p.status.podIP).startsWith(POD_ADDRESS_PREFIX));
      if (wrong.length > 0) throw new VerifyError(`pods without a podlet address: ${wrong.map(show).join('; ')}`);
      return `${pods.map((p: Obj) => `${p.metadata.name}=${p.status.podIP}`).join(', ')}; ${bound} of ${claims.items.length} claims Bound`;
    });
  }

  async expectUnprovisioned(): Promise<void> {
    await this.step('the cluster waits for provisioning (restatectl status in restate-0 exits 1)', async () => {
      const status = await this.ctl!.run(this.addresses(), ['status']);
      if (status.code === 0)
        throw new VerifyError(
          'restatectl status exits 0 before anyone provisioned: the nodes provisioned themselves; set auto-provision = false',
        );
      if (status.code !== 1)
        throw new VerifyError(`restatectl status through kubectl exec exited ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
      return `exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`;
    });
  }

  /** provision.sh through `kubectl exec -i restate-0 -- sh -s`, as the `provision` task runs it. */
  private runProvisionScript(): ReturnType<PodRestatectl['exec']> {
    const deadlineSeconds = Math.ceil(this.input.readyBoundMs / 1000) + 30;
    const args = provisionScriptArgs({
      address: 'http://127.0.0.1:5122',
      deadlineSeconds,
      intervalSeconds: 1,
      replicas: this.input.cluster.replicas,
    });
    return this.ctl!.exec(['sh', '-s', '--', ...args], {
      input: readFileSync(PROVISION_SCRIPT_PATH, 'utf8'),
      pod: FIRST_POD,
      timeoutMs: Math.min(this.deadline.remainingMs(), (deadlineSeconds + 10) * 1000),
    });
  }

  /** Provisions with what ships: the operator (2.8.1 autoProvision), the target's Job, else provision.sh through exec. */
  async provision(): Promise<void> {
    const jobs = (await this.getJson(['get', 'jobs', '-A'])).items as Obj[];
    const job = jobs.find((j) => j.metadata.labels?.['app.kubernetes.io/component'] === 'provisioning');
    if (this.input.cluster.autoProvision) {
      await this.step('the operator provisions the cluster (spec.cluster.autoProvision)', async () => {
        const cluster = await pollUntil(
          'the RestateCluster status provisioned: true',
          this.deadline.within(this.input.readyBoundMs),
          500,
          async () => {
            const c = await this.getJson(['get', 'restatecluster', this.namespace]);
            return c.status?.provisioned === true
              ? { done: true as const, value: c }
              : { done: false as const, reason: JSON.stringify(c.status?.conditions ?? []) };
          },
        );
        return `status.provisioned ${cluster.status.provisioned} (${this.operator!.what})`;
      });
      return;
    }
    if (job) {
      const name = `${job.metadata.namespace}/${job.metadata.name}`;
      await this.step(`the provisioning Job ${name} provisions the cluster (the real Job controller, run by the podlet)`, async () => {
        const t = Date.now();
        const done = await pollUntil(`Job ${name} Complete or Failed`, this.deadline.within(180_000), 1000, async () => {
          const j = await this.getJson(['-n', job.metadata.namespace, 'get', 'job', job.metadata.name]);
          const c = (j.status?.conditions ?? []).find((x: Obj) => ['Complete', 'Failed'].includes(x.type) && x.status === 'True');
          return c ? { done: true as const, value: c.type as string } : { done: false as const, reason: JSON.stringify(j.status ?? {}) };
        });
        const logs = await this.plane.kubectl(['-n', job.metadata.namespace, 'logs', `job/${job.metadata.name}`], { check: false });
        const out = plain(logs.stdout + logs.stderr);
        if (done !== 'Complete') throw new VerifyError(`the Job ${done}:\n${out.trim()}`);
        if (!out.includes('cluster has been successfully provisioned'))
          throw new VerifyError(`the Job completed but did not provision the cluster itself:\n${out.trim()}`);
        this.record.jobMs = Date.now() - t;
        return `Complete after ${seconds(this.record.jobMs)}: ${lastLine(logs.stdout)}`;
      });
      return;
    }
    await this.step('provision.sh provisions the cluster (kubectl exec -i restate-0 -- sh -s)', async () => {
      const run = await this.runProvisionScript();
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0) throw new VerifyError(`provision.sh exited ${run.code}:\n${out.trim()}`);
      if (!out.includes('cluster has been successfully provisioned'))
        throw new VerifyError(`provision.sh succeeded but did not provision the cluster itself:\n${out.trim()}`);
      return `in ${seconds(run.ms)}: ${lastLine(run.stdout)}`;
    });
  }

  async statusExitsZero(suffix = ''): Promise<void> {
    await this.step(`restatectl status exits 0${suffix}`, async () => {
      const status = await this.ctl!.run(this.addresses(), ['status']);
      if (status.code !== 0) throw new VerifyError(`restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
      return `in ${this.execPod()}`;
    });
  }

  /** Every partition has an active leader, within the ready bound counted from the pods' start. */
  async waitPartitionHealth(): Promise<void> {
    const { expected } = this.input;
    await this.step('every partition has an active leader', async () => {
      const bound = Math.max(0, this.input.readyBoundMs - (Date.now() - this.startedAt));
      this.leaders = await pollUntil(
        `an active leader for each of the ${expected.partitions} partitions`,
        this.deadline.within(bound),
        1000,
        () => probeLeaders(this.ctl!, this.addresses(), expected.partitions),
        (reason) => this.say(`     waiting: ${reason}`),
      );
      this.record.readyMs = Date.now() - this.startedAt;
      return `ready ${seconds(this.record.readyMs)} after the pods' servers ran`;
    });
  }

  /**
   * A convergence wait, not a bound verify claims (as the model's): the logs' replication is reconfigured after
   * provisioning (sealed, then replicated as configured), which took over 60 s here at a load of 34, each probe two
   * `kubectl exec`s.
   */
  async checkLayout(): Promise<void> {
    await this.step('partitions and replication match the config', async () =>
      pollUntil('the partition table and logs as configured', this.deadline.within(120_000), 1000, () =>
        probeLayout(this.ctl!, this.addresses(), this.input.expected),
      ),
    );
  }

  /** The pods Ready by their own readiness probe, and the RestateCluster's Ready condition as the operator writes it. */
  async clusterReady(): Promise<void> {
    await this.step("every pod Ready by its probe; the RestateCluster's Ready condition True", async () => {
      const condition = await pollUntil('RestateCluster Ready=True', this.deadline.within(60_000), 1000, async () => {
        const trouble = this.operator?.trouble();
        if (trouble && this.input.operatorBin) throw new VerifyError(trouble);
        const c = await this.getJson(['get', 'restatecluster', this.namespace]);
        const ready = (c.status?.conditions ?? []).find((x: Obj) => x.type === 'Ready');
        return ready?.status === 'True'
          ? { done: true as const, value: ready }
          : { done: false as const, reason: `${JSON.stringify(ready ?? 'no Ready condition')}${trouble ? `; ${trouble}` : ''}` };
      });
      const pods = await this.pods();
      const notReady = pods.filter((p) => !p.status?.containerStatuses?.[0]?.ready);
      if (notReady.length > 0) throw new VerifyError(`not Ready: ${notReady.map((p) => p.metadata.name).join(', ')}`);
      return `${pods.length} pods Ready; Ready ${condition.status} (${condition.reason})`;
    });
  }

  async provisionAgain(): Promise<void> {
    await this.step('a second provisioning is a no-op', async () => {
      const again = await this.runProvisionScript();
      const out = plain(again.stdout + again.stderr);
      if (again.code !== 0 || !out.includes('already provisioned'))
        throw new VerifyError(`provision.sh on a provisioned cluster exited ${again.code}:\n${out.trim()}`);
      return 'provision.sh through exec: already provisioned';
    });
  }

  /**
   * SIGKILLs the server of the pod leading the most partitions (its container's process, as a crash or an OOM kill
   * ends it). The podlet restarts the container at once (restartPolicy Always, the first restart without back-off), as
   * the kubelet does, so unlike the model's fail-over (the node held down) the killed node may come back before its
   * partitions moved: the check is that every partition has an active leader again, on any pod, within the fail-over
   * bound, counting only leaders of the nodes' current generations (a killed instance's last reports linger under its
   * old generation). Then `restatectl status` exits 0 and the pod is Ready again by its probe.
   */
  async failover(): Promise<void> {
    const victim = busiestLeader(this.leaders);
    this.record.killed = victim;
    await this.step(`SIGKILL ${victim}'s server: every partition has an active leader again`, async () => {
      const before = (await this.getJson(['-n', this.namespace, 'get', 'pod', victim])).status.containerStatuses[0];
      const pid = Number(/^podlet:\/\/(\d+)$/.exec(before.containerID ?? '')?.[1]);
      if (!(pid > 0)) throw new VerifyError(`${victim}'s container has no podlet process id: ${JSON.stringify(before)}`);
      const led = [...this.leaders.values()].filter((names) => names.includes(victim)).length;
      const t = Date.now();
      process.kill(pid, 'SIGKILL');
      const leaders = await pollUntil(
        `an active leader of a current node generation for each of the ${this.input.expected.partitions} partitions`,
        this.deadline.within(this.input.failoverBoundMs),
        250,
        () => probeCurrentLeaders(this.ctl!, this.addresses(), this.input.expected.partitions),
      );
      this.record.failoverMs = Date.now() - t;
      this.leaders = leaders;
      const back = [...leaders.values()].filter((names) => names.includes(victim)).length;
      return (
        `${victim} led ${led} partitions; all led again after ${seconds(this.record.failoverMs)} (bound ${seconds(this.input.failoverBoundMs)}), ` +
        `${back} of them by ${victim} restarted`
      );
    });
    await this.statusExitsZero(` after ${victim}'s kill`);
    await this.step(`the podlet restarted ${victim}'s container; Ready again by its probe`, async () => {
      const t = Date.now();
      const status = await pollUntil(`${victim} restarted and Ready`, this.deadline.within(this.input.readyBoundMs), 1000, async () => {
        const s = (await this.getJson(['-n', this.namespace, 'get', 'pod', victim])).status.containerStatuses[0];
        return s.restartCount >= 1 && s.ready ? { done: true as const, value: s } : { done: false as const, reason: JSON.stringify(s) };
      });
      return `restartCount ${status.restartCount}, last state exit ${status.lastState.terminated?.exitCode}; Ready ${seconds(Date.now() - t)} after the fail-over`;
    });
  }

  /**
   * The SDK counter service beside the cluster (./control-plane-service.ts), registered as a user registers it: POST
   * /deployments on the admin API of Service `restate` (one of its Ready endpoints, as `kubectl port-forward svc/restate`).
   */
  async registerService(): Promise<void> {
    await this.step('register the SDK service verify-services/counter through the admin API of Service restate', async () => {
      this.service = new ControlPlaneService(this.plane);
      await this.service.start(this.deadline.within(60_000));
      const t = Date.now();
      const names = await registerDeployment(
        controlPlaneEndpoints(this.plane, this.namespace),
        this.service.uri,
        this.deadline.within(60_000),
      );
      if (!names.includes('Counter'))
        throw new VerifyError(`the deployment registered, but its services are ${names.join(', ') || 'none'}, not Counter`);
      return (
        `on ${this.service.uri} (a headless Service whose EndpointSlice names ${SERVICE_ADDRESS}); ` +
        `POST /deployments answered in ${seconds(Date.now() - t)} with ${names.join(', ')}`
      );
    });
  }

  /** The model's ledger checks (./live-service.ts) on the real pods: the counter through kills, the sleep through its leader's. */
  async counterAndSleep(): Promise<void> {
    await runCounterAndSleep({
      step: (name, action) => this.step(name, action),
      endpoints: controlPlaneEndpoints(this.plane, this.namespace),
      control: podControl({
        cp: this.plane,
        namespace: this.namespace,
        replicas: this.input.cluster.replicas,
        partitions: this.input.expected.partitions,
        ctl: this.ctl!,
        down: this.down,
        addresses: () => this.addresses(),
        deadline: this.deadline,
        readyBoundMs: this.input.readyBoundMs,
      }),
      deadline: this.deadline,
      callBoundMs: this.input.failoverBoundMs + 30_000,
      record: this.record,
    });
  }

  /** Stops the podlet (its pods), the operator and the control plane, by PID; removes their folders. */
  async close(): Promise<void> {
    await this.service?.stop().catch(() => undefined);
    await this.operator?.stop().catch(() => undefined);
    await this.node?.stop().catch(() => undefined);
    await this.cp?.stop();
  }
}
