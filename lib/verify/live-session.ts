import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROVISION_SCRIPT_PATH, type ProvisionScriptOptions, provisionScriptArgs } from '../stack/provisioning/script';
import {
  ADMIN_PORT as ADMIN,
  FABRIC_PORT as FABRIC,
  INGRESS_PORT as INGRESS,
  podHost,
  RESTATE_CONTAINER,
} from '../target-folder/operator-names';
import { type OperatorVersion, showBytes as showBytesOf } from '../values';
import { checkLocations, parseNodesList } from '../stack/location-check';
import { locationOf, locationRegion } from '../target-folder/restate-cluster';
import { modelPodZone } from './operator-env';
import type { RestateBinaries } from './binaries';
import { busiestLeader, type ExpectedLayout, probeLayout, probeLeaders } from './cluster-checks';
import { clusterPodView, registerClusterPods } from './cluster-dns';
import { ClusterServiceModel, readinessOf, RESTATE_SERVICE_IP } from './cluster-service';
import type { ClusterUnderTest } from './cluster-spec';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import { httpCall } from './http-call';
import type { IsolatedContext } from './isolated-main';
import { runJobContainer } from './job-run';
import { KubeDns } from './kube-dns';
import { localClusterControl, registerService, runCounterAndSleep } from './live-service';
import { formatNodeMemory, LiveMemory, type MemoryOutcome } from './live-memory';
import { LocalCluster } from './local-cluster';
import { buildClusterModel, type ClusterModel } from './model';
import { nftApply, nftAvailable } from './nft';
import { type SnapshotDestination, snapshotStandInEnv } from './object-store';
import { describeFailures, policyChecks, runPolicyChecks } from './policy-checks';
import { type EnforcedPod, policyRuleset } from './policy-nft';
import { PodView } from './pod-view';
import { PodAgent } from './pods';
import {
  type AlertState,
  PROMETHEUS_INTERVAL_SECONDS,
  PrometheusPod,
  prometheusVersion,
  type TargetHealth,
  type TargetMonitoring,
} from './prometheus-pod';
import { type CommandResult, lastLine, plain, Restatectl, runCommand } from './restatectl';
import { S3StandIn, s3rverVersion } from './s3-stand-in';
import { ServiceApp } from './service-app';
import type { ClusterControl, CounterOutcome, ServiceEndpoints, SleepFailoverOutcome } from './service-checks';
import { checkSnapshotsLand, onePartitionPerLeader, type SnapshotOutcome } from './snapshot-check';
import type { ProvisioningJob } from './target-extras';

export interface LiveCheckInput {
  /** `environment/provider`, for progress lines. */
  readonly label: string;
  readonly cluster: ClusterUnderTest;
  /** From the effective config of the lint (which proved it equals what was written). */
  readonly expected: ExpectedLayout;
  readonly binaries: RestateBinaries;
  /** Bound on the time from starting the nodes until every partition has an active leader. */
  readonly readyBoundMs: number;
  /** Bound on the time from the SIGKILL until every partition has an active leader on a live node again. */
  readonly failoverBoundMs: number;
  /**
   * The config's snapshot destination, when it has one: a local S3 stand-in then serves it inside the sandbox,
   * and the nodes are pointed at it through env (config.toml stays as shipped).
   */
  readonly snapshots?: SnapshotDestination;
  /** The target's provisioning Job as synthesized, when it has one: it then provisions the cluster. */
  readonly job?: ProvisioningJob;
  /**
   * The target's PodMonitor and PrometheusRule, when it has a PodMonitor: a real Prometheus then runs as the pod
   * `prometheus` in the PodMonitor's namespace, scraping what it selects and evaluating the rules.
   */
  readonly monitoring?: TargetMonitoring;
  /** The host of the snapshot store's endpoint, for the stand-in's place in the model. */
  readonly objectStoreHost?: string;
}

/** One check of the live run and what it saw. */
export interface LiveStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** Time the step took. */
  readonly ms: number;
}

export interface PolicyOutcome {
  readonly policies: number;
  readonly acceptRules: number;
  readonly refusedCombinations: number;
  readonly checks: number;
  readonly reached: number;
  readonly refused: number;
}

/** The fail-over's node kill as the real Prometheus saw it, with the target's rules loaded. */
export interface NodeDownAlertOutcome {
  readonly alert: string;
  readonly victim: string;
  /** `pending` or `firing`, when first seen active. */
  readonly state: AlertState;
  /** From the SIGKILL until Prometheus showed the alert active and `up` 0 for the victim. */
  readonly raisedMs: number;
  /** The rule's `for:` as shipped. */
  readonly for?: string;
  /** From the restart until the alert was seen inactive again. */
  resolvedMs?: number;
}

/** What the steps found out, as soon as each knows it. */
export interface SessionRecord {
  readyMs?: number;
  failoverMs?: number;
  killed?: string;
  snapshots?: SnapshotOutcome;
  counter?: CounterOutcome;
  sleep?: SleepFailoverOutcome;
  policies?: PolicyOutcome;
  jobMs?: number;
  memory?: MemoryOutcome;
  nodeDownAlert?: NodeDownAlertOutcome;
}

/** Thrown by `step` after a failed step was recorded: the run stops there. */
export class StepFailed extends Error {}

/** Bound on the provisioning Job's run. */
const JOB_BOUND_MS = 120_000;

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface LiveSessionOptions {
  /**
   * Pods `restate-0..capacity-1` the run may start (scale-out scenarios); the model, the DNS and the policies
   * know them all, `startNodes` starts the RestateCluster's `replicas`.
   * @default cluster.replicas
   */
  readonly capacity?: number;
  /**
   * The deadline every step respects.
   * @default the sandbox's global deadline
   */
  readonly deadline?: Deadline;
}

/**
 * One local stand-in for a target's cluster, the way its operator (1.7.4 or 2.8.1) would run it (pods as processes
 * with their own uids and DNS views, Services, NetworkPolicies as nftables rules), and the named steps the live check and
 * the day-two scenarios are made of. Every step is recorded in `steps`; a failed step throws `StepFailed`.
 * `close()` (and, on a signal, the clean-up registered with the sandbox) stops and removes everything.
 */
export class LiveSession {
  public readonly steps: LiveStep[] = [];
  public readonly record: SessionRecord = {};
  public readonly cluster: ClusterUnderTest;
  public readonly expected: ExpectedLayout;
  public readonly deadline: Deadline;
  public readonly ctl: Restatectl;
  /** The environment restatectl and the scripts run with (PATH holds the npm restatectl). */
  public readonly env: Readonly<Record<string, string>>;
  public readonly model: ClusterModel;
  public readonly dns: KubeDns;
  public readonly local: LocalCluster;
  public readonly services: ClusterServiceModel;
  public readonly app: ServiceApp;
  public readonly store?: S3StandIn;
  /** The real Prometheus as the model's Prometheus pod, when the target has a PodMonitor. */
  public readonly prometheus?: PrometheusPod;
  /** The pods' memory limits, when the RestateCluster sets one; a string when they cannot be applied here. */
  public readonly memory?: LiveMemory | string;
  private readonly agents: Map<number, PodAgent>;
  private readonly viewOf: (pod: EnforcedPod) => PodView;
  /** The operator version whose behaviour the session models (readiness, policies, provisioning). */
  public readonly operatorVersion: OperatorVersion;
  private readonly clients: EnforcedPod[];
  private policyRules = { accepted: 0, refused: 0 };
  /** The fail-over's node-down alert, to see resolved later. */
  private nodeDownWatch?: {
    readonly victim: string;
    readonly restartedAt: number;
    readonly inactive: Promise<{ at: number; alerts: Record<string, AlertState> } | string>;
  };
  private startedAt = 0;
  private leaders = new Map<number, string[]>();

  constructor(
    public readonly input: LiveCheckInput,
    private readonly context: IsolatedContext,
    options: LiveSessionOptions = {},
  ) {
    const { cluster } = input;
    this.cluster = cluster;
    this.expected = input.expected;
    this.deadline = options.deadline ?? context.deadline;
    const capacity = Math.max(options.capacity ?? 0, cluster.replicas);
    const home = join(context.workDir, 'home');
    const bin = join(context.workDir, 'bin');
    // Emulated pods run as their own uids (the NetworkPolicy rules tell them apart by it): they need to pass.
    chmodSync(context.workDir, 0o711);
    mkdirSync(home, { recursive: true });
    mkdirSync(bin, { recursive: true });
    symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
    this.env = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: home, NO_COLOR: '1' };
    this.ctl = new Restatectl(input.binaries.restatectl, this.env);

    this.model = buildClusterModel({
      cluster: { ...cluster, replicas: capacity },
      ...(input.job ? { job: input.job } : {}),
      ...(input.monitoring ? { prometheusNamespace: input.monitoring.podMonitor.namespace } : {}),
      ...(input.objectStoreHost ? { objectStoreHost: input.objectStoreHost } : {}),
    });
    const model = this.model;
    // The cluster DNS as kube-dns answers it: the operator's Services and pods, the SDK service's headless Service.
    const dns = registerClusterPods(new KubeDns(), cluster.name, capacity);
    dns.addService({ namespace: cluster.name, name: 'restate', clusterIp: RESTATE_SERVICE_IP });
    dns.addService({ namespace: model.service.namespace, name: model.service.name });
    dns.addPod({ namespace: model.service.namespace, hostname: model.service.name, subdomain: model.service.name, ip: model.service.ip });
    this.dns = dns;
    const views = join(context.workDir, 'views');
    let spareIp = 20;
    const viewOf = (pod: EnforcedPod): PodView => {
      const node = model.nodes.indexOf(pod);
      if (node >= 0) return clusterPodView(dns, cluster.name, node, views);
      return new PodView({
        id: `${pod.namespace}.${pod.name}`,
        dir: views,
        namespace: pod.namespace,
        clusterDomain: dns.domain,
        nameserver: dns.ip,
        ip: pod.ip ?? `127.0.1.${spareIp++}`,
        hostname: pod.name,
      });
    };
    this.viewOf = viewOf;
    this.store = input.snapshots ? new S3StandIn({ bucket: input.snapshots.bucket, workDir: context.workDir }) : undefined;
    const memory = LiveMemory.create(cluster, input.binaries.server, capacity);
    this.memory = memory;
    const limits = memory instanceof LiveMemory ? memory : undefined;
    this.local = new LocalCluster({
      cluster,
      capacity,
      serverBinary: input.binaries.server,
      workDir: context.workDir,
      extraEnv: { ...(this.store ? snapshotStandInEnv(this.store.endpoint) : {}), ...limits?.plan.env },
      uids: model.nodes.map((n) => n.uid),
      launch: (node, file, args) => {
        const view = viewOf(model.nodes[node.ordinal]).command(file, args, model.nodes[node.ordinal].uid);
        return limits ? limits.wrap(node.ordinal, view) : view;
      },
    });
    const local = this.local;
    this.operatorVersion = cluster.operatorVersion ?? '1.7.4';
    this.services = new ClusterServiceModel(
      local.nodes.map((n) => ({ name: n.name, ip: n.ip, running: () => local.isRunning(n.ordinal) })),
      readinessOf(this.operatorVersion),
    );
    const serviceHost = `${model.service.name}.${model.service.namespace}.svc.${dns.domain}`;
    this.app = new ServiceApp(model.service, context.workDir, viewOf(model.service), serviceHost);
    // Client pods, and one agent per node (a shell in the pod, as `kubectl exec` gives one) for the checks.
    this.clients = [model.operator, model.job, model.prometheus, model.admittedApp, model.unlistedApp, ...model.nodes].filter(
      (p): p is EnforcedPod => p !== undefined,
    );
    this.agents = new Map(this.clients.map((pod) => [pod.uid, new PodAgent(pod, context.workDir, viewOf(pod))]));
    // The pods that exist when Prometheus starts (a scale-out's later pods are not its targets).
    const scraped = model.nodes.slice(0, cluster.replicas).map((n) => ({ ...n, container: RESTATE_CONTAINER }));
    const prometheus =
      model.prometheus && input.monitoring
        ? new PrometheusPod(model.prometheus, input.monitoring, scraped, viewOf(model.prometheus), context.workDir)
        : undefined;
    this.prometheus = prometheus;
    context.onExit(() => {
      prometheus?.stopSync();
      dns.stopSync();
      for (const agent of this.agents.values()) agent.stopSync();
      this.services.stop();
      this.app.stopSync();
      local.stopSync();
      limits?.remove();
      local.removeFiles();
      this.store?.stopSync();
      this.store?.removeFiles();
    });
  }

  say(line: string): void {
    this.context.progress(`verify ${this.input.label}: ${line}`);
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

  /** A shell in a pod of the model (the policy checks' clients). */
  agentFor(pod: EnforcedPod): PodAgent {
    return this.agents.get(pod.uid)!;
  }

  /** The opening of every live run: store, policies, nodes, pods, provisioning, status, partition health. */
  async standUp(): Promise<void> {
    await this.startSnapshotStore();
    await this.enforcePolicies();
    await this.memoryBudgets();
    await this.startNodes();
    await this.startPods();
    await this.expectUnprovisioned();
    await this.provision();
    await this.statusExitsZero();
    await this.waitPartitionHealth();
  }

  async startSnapshotStore(): Promise<void> {
    const { store } = this;
    const destination = this.input.snapshots;
    if (!store || !destination) return;
    await this.step(`start a local S3 stand-in for ${destination.url}`, async () => {
      await store.start(this.deadline.within(15_000));
      return `s3rver ${s3rverVersion()} on ${store.endpoint.url}, bucket ${destination.bucket}; the nodes reach it through RESTATE_WORKER__SNAPSHOTS__* env, config.toml as shipped`;
    });
  }

  async enforcePolicies(): Promise<void> {
    const { model } = this;
    await this.step(`NetworkPolicies of operator ${this.operatorVersion} for ${this.cluster.name} enforced with nftables`, async () => {
      const unmapped = model.all.find((pod) => !uidMapped(pod.uid));
      if (unmapped)
        throw new VerifyError(
          `uid ${unmapped.uid} (pod ${unmapped.namespace}/${unmapped.name}) is not mapped in the sandbox's user namespace: run verify as root`,
        );
      const unavailable = nftAvailable();
      if (unavailable) throw new VerifyError(`cannot load nftables rules in the sandbox: ${unavailable}`);
      const ruleset = policyRuleset(model.all, model.policies);
      nftApply(ruleset.script);
      await this.dns.start();
      this.policyRules = { accepted: ruleset.accepted, refused: ruleset.refused };
      return (
        `${model.policies.length} policies (${model.policies.map((p) => p.name).join(', ')}) over ${model.all.length} pods: ` +
        `${ruleset.accepted} accept rules by socket uid, ${ruleset.refused} pod-to-port combinations dropped`
      );
    });
  }

  /**
   * With a memory limit on the pods: the budgets the server resolves with the nodes' config and env, run under the
   * pod's limit, fit in what the limit allows (docs/memory.md). Before the nodes start.
   */
  async memoryBudgets(): Promise<void> {
    const { memory } = this;
    if (memory === undefined) return;
    await this.step('each node runs under its pod memory limit; the budgets the server reports fit in it', async () => {
      if (typeof memory === 'string') throw new VerifyError(`cannot run the nodes under their memory limit here: ${memory}`);
      const { plan } = memory;
      const reported = memory.reportedBudgets(this.context.workDir, this.store ? snapshotStandInEnv(this.store.endpoint) : {});
      if (reported.problems.length > 0) throw new VerifyError(reported.problems.join('; '));
      this.record.memory = { cgroup: memory.cgroupVersion, plan, reported: reported.budgets, nodes: [] };
      return (
        `cgroup ${memory.cgroupVersion}, limit ${showBytesOf(plan.limitBytes)} per node (shipped ${plan.shipped}` +
        `${plan.factor < 1 ? `, scaled by 1/${1 / plan.factor}` : ''}); restate-server ${memory.version.join('.')} reports ` +
        `${Object.entries(reported.budgets)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}, within the ${showBytesOf(plan.allowedBytes)} allowed`
      );
    });
  }

  /** With a memory limit on the pods: after the load, no node was OOM-killed, every node runs; peaks against the limit. */
  async memoryHeld(): Promise<void> {
    const { memory } = this;
    if (!(memory instanceof LiveMemory)) return;
    await this.step('after the load: no OOM kill, every node running under its limit', async () => {
      const nodes = memory.nodes(this.local);
      if (this.record.memory) this.record.memory = { ...this.record.memory, nodes };
      const bad = nodes.filter((n) => n.oomKills > 0 || n.state !== 'Running');
      if (bad.length > 0) throw new VerifyError(bad.map(formatNodeMemory).join('; '));
      const peak = Math.max(...nodes.map((n) => n.peakBytes / n.limitBytes));
      return `${nodes.length} nodes, 0 OOM kills, highest peak ${(100 * peak).toFixed(0)} % of the limit`;
    });
  }

  async startNodes(): Promise<void> {
    const { local } = this;
    await this.step(`start ${this.cluster.replicas} restate-server processes`, async () => {
      this.startedAt = Date.now();
      await local.start(this.deadline.within(30_000));
      for (const n of local.nodes) if (local.isRunning(n.ordinal)) this.services.containerStarted(n.name);
      this.services.start();
      const started = local.nodes.filter((n) => local.isRunning(n.ordinal));
      return `${started.map((n) => `${n.name}=${n.ip}`).join(', ')}; fabric ports listening after ${seconds(Date.now() - this.startedAt)}`;
    });
  }

  async startPods(): Promise<void> {
    const { app, clients, prometheus } = this;
    await this.step(`start ${clients.length + 1} client and application pods of the model`, async () => {
      const version = prometheus ? prometheusVersion() : undefined;
      if (prometheus && version === undefined)
        throw new VerifyError(
          "the target ships a PodMonitor and prometheus is not on PATH: install Debian's prometheus package (apt-get install prometheus), as .ci/run does",
        );
      await Promise.all([
        ...[...this.agents.values()].map((a) => a.start()),
        app.start(this.deadline.within(30_000)),
        ...(prometheus ? [prometheus.start(this.deadline.within(30_000))] : []),
      ]);
      const real = prometheus
        ? `; in ${prometheus.pod.namespace}/${prometheus.pod.name} a real Prometheus (${version}) on ${prometheus.url}, ` +
          `scraping ${prometheus.targets} pods every ${PROMETHEUS_INTERVAL_SECONDS} s (${prometheus.jobs.join(', ')}), ` +
          `${prometheus.alertNames().length} alerting rules loaded`
        : '';
      return `${clients.map((p) => `${p.namespace}/${p.name} (uid ${p.uid})`).join(', ')}; the SDK service ${app.pod.namespace}/${app.pod.name} on ${app.uri} (uid ${app.pod.uid})${real}`;
    });
  }

  async expectUnprovisioned(): Promise<void> {
    await this.step('the cluster waits for provisioning (auto-provision is off)', async () => {
      const status = await this.ctl.run(this.local.liveAddresses(), ['status']);
      if (status.code === 0)
        throw new VerifyError(
          'restatectl status exits 0 before anyone provisioned: the nodes provisioned themselves; set auto-provision = false',
        );
      return `restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`;
    });
  }

  /** The provisioning script as shipped (lib/stack/provisioning/provision.sh), run with the npm restatectl. */
  runProvisionScript(options: Pick<ProvisionScriptOptions, 'ensureReplication' | 'replicas'> = {}): Promise<CommandResult> {
    const deadlineSeconds = Math.ceil(this.input.readyBoundMs / 1000) + 30;
    const args = provisionScriptArgs({
      address: this.local.nodes[0].address,
      deadlineSeconds,
      intervalSeconds: 1,
      replicas: this.cluster.replicas,
      ...options,
    });
    return runCommand('sh', [PROVISION_SCRIPT_PATH, ...args], {
      env: this.env,
      timeoutMs: Math.min(this.deadline.remainingMs(), (deadlineSeconds + 10) * 1000),
    });
  }

  /**
   * Provisions with what ships: the operator's autoProvision (2.8.1), the target's Job when it has one (run as
   * synthesized), else provision.sh.
   */
  async provision(): Promise<void> {
    const job = this.input.job;
    const jobPod = this.model.job;
    if (this.cluster.autoProvision) {
      await this.operatorProvisions();
      return;
    }
    if (job && jobPod) {
      await this.step(`the provisioning Job ${job.namespace}/${job.name} provisions the cluster, as synthesized`, async () => {
        const run = await runJobContainer(job, {
          dns: this.dns,
          dir: join(this.context.workDir, 'job'),
          binDir: join(this.context.workDir, 'bin'),
          ip: '127.0.1.10',
          uid: jobPod.uid,
          timeoutMs: Math.min(this.deadline.remainingMs(), JOB_BOUND_MS),
        });
        const out = plain(run.stdout + run.stderr);
        const argv = [...job.command, ...job.args].join(' ');
        if (run.code !== 0)
          throw new VerifyError(`the Job's container (${argv}) exited ${run.code ?? 'killed'} after ${seconds(run.ms)}:\n${out.trim()}`);
        if (!out.includes('cluster has been successfully provisioned'))
          throw new VerifyError(`the Job exited 0 but did not provision the cluster itself:\n${out.trim()}`);
        this.record.jobMs = run.ms;
        const search = run.resolvConf.split('\n').find((l) => l.startsWith('search')) ?? '';
        return `${argv}: done in ${seconds(run.ms)}, as uid ${jobPod.uid} in ${job.namespace} (resolv.conf ${search}): ${lastLine(run.stdout)}`;
      });
      return;
    }
    await this.step('provision.sh provisions the cluster', async () => {
      const run = await this.runProvisionScript();
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0) throw new VerifyError(`provision.sh exited ${run.code}:\n${out.trim()}`);
      if (!out.includes('cluster has been successfully provisioned'))
        throw new VerifyError(`provision.sh succeeded but did not provision the cluster itself:\n${out.trim()}`);
      return `in ${seconds(run.ms)}: ${lastLine(run.stdout)}`;
    });
  }

  /**
   * What operator 2.8.1 does once restate-0 runs: one ProvisionCluster call with no values of its own (the node's
   * config decides), to restate-0 through the headless Service, from the operator's pod (provisioning.rs:113-173,
   * compute.rs:970-1008 at v2.8.1). restatectl provision makes the same call.
   */
  private async operatorProvisions(): Promise<void> {
    const operator = this.model.operator;
    const target = `http://${podHost(0)}.${this.cluster.name}.svc.${this.dns.domain}:${FABRIC}`;
    await this.step(`the operator provisions the cluster (spec.cluster.autoProvision), from its pod through ${target}`, async () => {
      const command = this.viewOf(operator).command('restatectl', ['provision', '--yes', '--address', target], operator.uid);
      const run = await runCommand(command.file, command.args, {
        env: this.env,
        timeoutMs: Math.min(this.deadline.remainingMs(), JOB_BOUND_MS),
      });
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0 || !out.includes('Cluster has been successfully provisioned')) {
        throw new VerifyError(`restatectl provision from the operator's pod exited ${run.code ?? 'killed'}:\n${out.trim()}`);
      }
      // The operator returns at once (its Ready condition then waits for the pods); the nodes take a moment to
      // learn of it: wait as the provisioning script does, until `restatectl status` exits 0.
      const t = Date.now();
      await pollUntil(
        'restatectl status exits 0 after the operator provisioned',
        this.deadline.within(this.input.readyBoundMs),
        500,
        async () => {
          const status = await this.ctl.run(this.local.liveAddresses(), ['status']);
          return status.code === 0 ? { done: true, value: undefined } : { done: false, reason: lastLine(status.stderr || status.stdout) };
        },
      );
      return `as uid ${operator.uid} in ${operator.namespace}, ${seconds(run.ms)}: ${lastLine(run.stdout)}; restatectl status exits 0 after ${seconds(Date.now() - t)} more`;
    });
  }

  async statusExitsZero(suffix = ''): Promise<void> {
    await this.step(`restatectl status exits 0${suffix}`, async () => {
      const status = await this.ctl.run(this.local.liveAddresses(), ['status']);
      if (status.code !== 0) throw new VerifyError(`restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
      return 'yes';
    });
  }

  /**
   * With locations (`RESTATE_LOCATION` in the cluster's env), every node reports `<region>.<zone of its pod>` in
   * `restatectl nodes list --extra`, each pod's zone label as the model gives it (`modelPodZone`). A no-op without.
   */
  async checkLocations(): Promise<void> {
    const location = locationOf({ spec: { compute: { env: this.cluster.env } } });
    if (location === undefined) return;
    const region = locationRegion(location);
    await this.step(`every node reports its location ${region}.<zone of its pod> (restatectl nodes list --extra)`, async () => {
      const listed = await this.ctl.run(this.local.liveAddresses(), ['nodes', 'list', '--extra']);
      if (listed.code !== 0)
        throw new VerifyError(`restatectl nodes list exits ${listed.code}: ${lastLine(listed.stderr || listed.stdout)}`);
      const running = this.local.nodes.filter((n) => this.local.isRunning(n.ordinal));
      const zones = new Map(running.map((n) => [n.name, modelPodZone(this.cluster, n.ordinal)] as const));
      const modelZones = [...new Set([...zones.values()].filter((z): z is string => z !== undefined))];
      const check = checkLocations(parseNodesList(listed.stdout), zones, { region, zones: modelZones });
      if (!check.ok) throw new VerifyError(check.lines.join('; '));
      return [...zones].map(([pod, zone]) => `${pod} ${region}.${zone}`).join(', ');
    });
  }

  /** Every partition has an active leader (on a running node), within the ready bound counted from the start. */
  async waitPartitionHealth(): Promise<void> {
    const { ctl, local, expected } = this;
    await this.step('every partition has an active leader', async () => {
      const bound = Math.max(0, this.input.readyBoundMs - (Date.now() - this.startedAt));
      this.leaders = await pollUntil(
        `an active leader for each of the ${expected.partitions} partitions`,
        this.deadline.within(bound),
        500,
        () => probeLeaders(ctl, local.liveAddresses(), expected.partitions),
        (reason) => this.say(`     waiting: ${reason}`),
      ).catch((error: Error) => {
        // Partition processors also wait for the snapshot store: the nodes' logs tell which it was.
        throw new VerifyError(`${error.message}\n      ${local.logSummary()}`);
      });
      this.record.readyMs = Date.now() - this.startedAt;
      return `ready ${seconds(this.record.readyMs)} after start`;
    });
  }

  /** Polls (bounded) until every partition has an active leader on a running node; resolves with the time it took. */
  async partitionsLed(boundMs: number): Promise<number> {
    const t = Date.now();
    this.leaders = await pollUntil(
      `an active leader on a running node for each of the ${this.expected.partitions} partitions`,
      this.deadline.within(boundMs),
      250,
      () => probeLeaders(this.ctl, this.local.liveAddresses(), this.expected.partitions, this.downNodes()),
      (reason) => this.say(`     waiting: ${reason}`),
    );
    return Date.now() - t;
  }

  /** Names of the run's pods that are not running now. */
  downNodes(): Set<string> {
    return new Set(this.local.nodes.filter((n) => !this.local.isRunning(n.ordinal)).map((n) => n.name));
  }

  async checkLayout(expected: ExpectedLayout = this.expected, name = 'partitions and replication match the config'): Promise<void> {
    // A convergence wait, not a bound verify claims: the logs' replication is reconfigured after provisioning, which
    // took over 30 s twice on a 2-core machine at load 25-45 ("logs … are not replicated {node: 3}").
    await this.step(name, async () =>
      pollUntil('the partition table and logs as configured', this.deadline.within(60_000), 500, () =>
        probeLayout(this.ctl, this.local.liveAddresses(), expected),
      ),
    );
  }

  async checkPolicies(): Promise<void> {
    const { model } = this;
    await this.step('the NetworkPolicies hold for real connections', async () => {
      const { prometheus } = this;
      const checks = policyChecks(model, prometheus !== undefined);
      const [results, scraped] = await Promise.all([
        runPolicyChecks(checks, (pod) => this.agentFor(pod)),
        prometheus ? this.everyNodeScraped(prometheus) : Promise.resolve(undefined),
      ]);
      const failures = describeFailures(results);
      if (typeof scraped === 'string') failures.push(scraped);
      if (failures.length > 0)
        throw new VerifyError(`${failures.length} of ${results.length} checks failed:\n      ${failures.join('\n      ')}`);
      const reached = results.filter((r) => r.connected).length;
      this.record.policies = {
        policies: model.policies.length,
        acceptRules: this.policyRules.accepted,
        refusedCombinations: this.policyRules.refused,
        checks: results.length,
        reached,
        refused: results.length - reached,
      };
      const kinds = [
        model.job ? 'the Job reaches 5122 of every node' : undefined,
        Array.isArray(scraped)
          ? `the real Prometheus scrapes ${scraped.length} pods on 5122: up == 1 for ${scraped.map((t) => t.pod).join(', ')}`
          : model.prometheus
            ? 'Prometheus reaches 5122 of every node'
            : undefined,
        model.admittedApp
          ? `${model.admittedApp.namespace}/${model.admittedApp.name} (admitted) reaches 8080`
          : `no application reaches 8080 (${model.noAdmittedApp})`,
        this.cluster.autoProvision ? 'the operator reaches 9070 and, to provision, 5122' : 'the operator reaches 9070',
        'an unlisted application is refused where the policies say so',
      ].filter(Boolean);
      return `${results.length} connections, ${reached} through and ${results.length - reached} refused, each as required: ${kinds.join('; ')}`;
    });
  }

  /**
   * Polls Prometheus (bounded) until `up` is 1 for every pod it scrapes: what it answers when its scrapes, from the
   * Prometheus pod's uid, get through the NetworkPolicy rules. The targets, or a line saying what was seen instead.
   */
  private async everyNodeScraped(prometheus: PrometheusPod): Promise<TargetHealth[] | string> {
    const show = (ts: readonly TargetHealth[]) =>
      ts.map((t) => `${t.pod} up=${t.up ?? 'none'}${t.lastError ? ` (${t.lastError})` : ''}`).join(', ') || 'no target';
    return pollUntil(
      `Prometheus's up == 1 for each of the ${prometheus.targets} pods the PodMonitor selects`,
      this.deadline.within(30_000),
      500,
      async () => {
        const health = await prometheus.targetHealth();
        const ok = health.length === prometheus.targets && health.every((t) => t.up === 1);
        return ok ? { done: true as const, value: health } : { done: false as const, reason: show(health) };
      },
    ).catch((error: Error) => `${prometheus.pod.namespace}/${prometheus.pod.name} (a real Prometheus): ${error.message}`);
  }

  async provisionAgain(): Promise<void> {
    await this.step('a second provisioning is a no-op', async () => {
      const again = await this.runProvisionScript();
      const out = plain(again.stdout + again.stderr);
      if (again.code !== 0 || !out.includes('already provisioned'))
        throw new VerifyError(`provision.sh on a provisioned cluster exited ${again.code}:\n${out.trim()}`);
      const direct = await this.ctl.run([this.local.nodes[0].address], ['provision', '--yes']);
      if (!plain(direct.stdout).includes('Cluster has been provisioned by somebody else.')) {
        throw new VerifyError(`restatectl provision on a provisioned cluster said: ${lastLine(direct.stdout + direct.stderr)}`);
      }
      return 'provision.sh: already provisioned; restatectl provision: provisioned by somebody else';
    });
  }

  async snapshotsLand(): Promise<void> {
    const { store } = this;
    const destination = this.input.snapshots;
    if (!store || !destination) return;
    await this.step(`snapshots of one partition per leading node land under ${destination.url}`, async () => {
      const t = Date.now();
      const snapshots = await checkSnapshotsLand({
        ctl: this.ctl,
        addresses: this.local.liveAddresses(),
        store,
        destination,
        partitions: onePartitionPerLeader(this.leaders),
        clusterName: this.cluster.clusterName,
        deadline: this.deadline.within(60_000),
        onWait: (reason) => this.say(`     waiting: ${reason}`),
      });
      this.record.snapshots = snapshots;
      return (
        `partitions ${snapshots.partitions.join(', ')}, written by ${snapshots.writers.join(', ')}: each latest.json points to a complete snapshot; ` +
        `${snapshots.objects} objects (${snapshots.bytes} bytes), e.g. ${snapshots.example}; ` +
        `${seconds(Date.now() - t)} (restatectl snapshots create-snapshot ${seconds(snapshots.restatectlMs)})`
      );
    });
  }

  /**
   * SIGKILLs the busiest leader, waits for fail-over, checks status, restarts it on its data. With the target's
   * rules in the real Prometheus: its node-down alert is inactive before the kill, pending or firing while the node
   * is down, and inactive again after the restart.
   */
  async failover(): Promise<void> {
    const { local, leaders } = this;
    const victim = local.nodes.find((n) => n.name === busiestLeader(leaders)) ?? local.nodes[this.cluster.replicas - 1];
    this.record.killed = victim.name;
    const alert = this.prometheus?.alertNames().includes(NODE_DOWN_ALERT) ? this.prometheus : undefined;
    if (alert) await this.alertInactive(alert, 'on the healthy cluster, before the SIGKILL');
    let killedAt = 0;
    await this.step(`SIGKILL ${victim.name}: every partition has a live leader again`, async () => {
      const led = [...leaders.values()].filter((names) => names.includes(victim.name)).length;
      const t = Date.now();
      killedAt = t;
      await local.kill(victim.ordinal);
      await pollUntil(
        `an active leader on a live node for each of the ${this.expected.partitions} partitions`,
        this.deadline.within(this.input.failoverBoundMs),
        250,
        () => probeLeaders(this.ctl, local.liveAddresses(), this.expected.partitions, new Set([victim.name])),
      );
      this.record.failoverMs = Date.now() - t;
      return `${victim.name} led ${led} partitions; all led again after ${seconds(this.record.failoverMs)} (bound ${seconds(this.input.failoverBoundMs)})`;
    });
    await this.statusExitsZero(` with ${victim.name} down`);
    if (alert) await this.alertRaised(alert, victim.name, killedAt);
    const restartedAt = Date.now();
    await this.step(`restart ${victim.name} on its data: every partition has an active leader`, async () => {
      await this.control().restart(victim.ordinal);
      return `after ${seconds(Date.now() - restartedAt)}`;
    });
    // Polled from now on, in the background: the steps until nodeDownResolved() run meanwhile.
    if (alert) this.nodeDownWatch = { victim: victim.name, restartedAt, inactive: this.untilInactive(alert, restartedAt) };
  }

  /**
   * After the fail-over's restart (and the steps since, so that no one waits for it): the node-down alert is
   * inactive again. A no-op without the target's rules.
   */
  async nodeDownResolved(): Promise<void> {
    const watch = this.nodeDownWatch;
    if (!watch) return;
    await this.step(`Prometheus: ${NODE_DOWN_ALERT} is inactive again after ${watch.victim}'s restart`, async () => {
      const started = Date.now();
      const seen = await watch.inactive;
      if (typeof seen === 'string') throw new VerifyError(seen);
      if (this.record.nodeDownAlert) this.record.nodeDownAlert.resolvedMs = seen.at - watch.restartedAt;
      return `seen ${seconds(seen.at - watch.restartedAt)} after the restart (polled since, waited ${seconds(Date.now() - started)} here); active alerts: ${showAlerts(seen.alerts)}`;
    });
  }

  /** Polls (bounded, from `since`) until the node-down alert is inactive: when it was seen so, or why not. */
  private untilInactive(prometheus: PrometheusPod, since: number): Promise<{ at: number; alerts: Record<string, AlertState> } | string> {
    return pollUntil(`${NODE_DOWN_ALERT} inactive in Prometheus's /api/v1/alerts`, this.deadline.within(30_000), 500, async () => {
      const active = await prometheus.alerts();
      return active[NODE_DOWN_ALERT] === undefined
        ? { done: true as const, value: { at: Date.now(), alerts: active } }
        : {
            done: false as const,
            reason: `${NODE_DOWN_ALERT} is ${active[NODE_DOWN_ALERT]} ${seconds(Date.now() - since)} after; active: ${showAlerts(active)}`,
          };
    }).catch((error: Error) => error.message);
  }

  /**
   * Before the kill: Prometheus's node-down alert is not active (neither pending nor firing), within a bound: a
   * cluster that just formed may still have a node counted dead by a failure detector for a few seconds (pending,
   * never firing within `for:`). The detail says how long it waited.
   */
  private async alertInactive(prometheus: PrometheusPod, when: string): Promise<void> {
    await this.step(`Prometheus: ${NODE_DOWN_ALERT} is inactive ${when}`, async () => {
      const started = Date.now();
      const seen = await this.untilInactive(prometheus, started);
      if (typeof seen === 'string') throw new VerifyError(seen);
      return `waited ${seconds(seen.at - started)}; active alerts: ${showAlerts(seen.alerts)}`;
    });
  }

  /** With `victim` down, Prometheus's `up` for it is 0 and the node-down alert goes pending (or firing), within a bound. */
  private async alertRaised(prometheus: PrometheusPod, victim: string, killedAt: number): Promise<void> {
    await this.step(`Prometheus: ${NODE_DOWN_ALERT} goes pending or firing with ${victim} down`, async () => {
      const started = Date.now();
      const seen = await pollUntil(
        `${NODE_DOWN_ALERT} pending or firing, and up == 0 for ${victim}`,
        this.deadline.within(30_000),
        500,
        async () => {
          const [active, health] = await Promise.all([prometheus.alerts(), prometheus.targetHealth()]);
          const target = health.find((t) => t.pod === victim);
          const state = active[NODE_DOWN_ALERT];
          if (state && target?.up === 0) return { done: true as const, value: { state, active, target } };
          return { done: false as const, reason: `${NODE_DOWN_ALERT} ${state ?? 'inactive'}, up for ${victim} ${target?.up ?? 'none'}` };
        },
      );
      const rule = prometheus.ruleFor(NODE_DOWN_ALERT);
      this.record.nodeDownAlert = {
        alert: NODE_DOWN_ALERT,
        victim,
        state: seen.state,
        raisedMs: Date.now() - killedAt,
        ...(rule ? { for: rule } : {}),
      };
      return (
        `${seen.state} ${seconds(Date.now() - killedAt)} after the SIGKILL (for: ${rule ?? '0s'} until firing; waited ${seconds(Date.now() - started)}); ` +
        `up == 0 for ${victim} (${seen.target.lastError ?? 'no scrape error reported'}); active alerts: ${showAlerts(seen.active)}`
      );
    });
  }

  /** Kill, restart on data, find a key's leader: what the service checks may do to the cluster. */
  control(): ClusterControl {
    return localClusterControl({
      local: this.local,
      ctl: this.ctl,
      services: this.services,
      deadline: this.deadline,
      readyBoundMs: this.input.readyBoundMs,
      partitions: this.expected.partitions,
    });
  }

  /**
   * The admin API as a user reaches it when the policies admit nobody: `kubectl port-forward svc/restate 9070`,
   * which NetworkPolicies do not govern (the harness's own uid). The ingress through Service `restate`'s
   * ClusterIP, from the admitted application when the CR admits one.
   */
  endpoints(): ServiceEndpoints {
    const harness = { http: httpCall };
    return {
      ingress: `http://restate.${this.cluster.name}.svc.${this.dns.domain}:${INGRESS}`,
      caller: this.model.admittedApp ? this.agentFor(this.model.admittedApp) : harness,
      admin: `http://restate.${this.cluster.name}.svc.${this.dns.domain}:${ADMIN}`,
      adminCaller: harness,
    };
  }

  /** Registers the SDK counter service through the admin API. */
  async registerService(): Promise<void> {
    await registerService({
      step: (name, action) => this.step(name, action),
      endpoints: this.endpoints(),
      app: this.app,
      deadline: this.deadline,
    });
  }

  /** The counter through single-node SIGKILLs, and a suspended sleep through its leader's SIGKILL. */
  async counterAndSleep(): Promise<void> {
    await runCounterAndSleep({
      step: (name, action) => this.step(name, action),
      endpoints: this.endpoints(),
      control: this.control(),
      deadline: this.deadline,
      callBoundMs: this.input.failoverBoundMs + 30_000,
      record: this.record,
    });
  }

  /** Stops and removes everything the session started. */
  async close(): Promise<void> {
    for (const agent of this.agents.values()) agent.stopSync();
    await this.dns.stop();
    this.services.stop();
    this.app.stopSync();
    // What the nodes did under their limits, also when a step failed before the check after the load.
    if (this.memory instanceof LiveMemory && this.record.memory && this.record.memory.nodes.length === 0) {
      this.record.memory = { ...this.record.memory, nodes: this.memory.nodes(this.local) };
    }
    await this.local.stop();
    if (this.memory instanceof LiveMemory) {
      for (const left of this.memory.remove()) this.say(`could not remove the memory cgroup ${left}`);
    }
    this.local.removeFiles();
    await this.store?.stop();
    this.store?.removeFiles();
  }
}

/** The alert the fail-over's node kill must raise (lib/values/alerts.ts). */
const NODE_DOWN_ALERT = 'RestateNodeDown';

/** `RestateNodeDown pending, …`, or `none`. */
function showAlerts(alerts: Readonly<Record<string, AlertState>>): string {
  const names = Object.keys(alerts).sort();
  return names.length === 0 ? 'none' : names.map((n) => `${n} ${alerts[n]}`).join(', ');
}

/** Whether this process's user namespace maps `uid` (as root on the host every uid is; a user namespace maps few). */
function uidMapped(uid: number): boolean {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8')
      .trim()
      .split('\n')
      .some((line) => {
        const [inside, , count] = line.trim().split(/\s+/).map(Number);
        return uid >= inside && uid < inside + count;
      });
  } catch {
    return true;
  }
}
