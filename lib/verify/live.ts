import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../stack/provisioning/script';
import type { RestateBinaries } from './binaries';
import type { ClusterUnderTest } from './cluster-spec';
import { busiestLeader, type ExpectedLayout, probeLayout, probeLeaders } from './cluster-checks';
import { ClusterServiceModel, readinessOf, RESTATE_SERVICE_IP } from './cluster-service';
import { registerClusterPods } from './cluster-dns';
import { pollUntil } from './deadline';
import { VerifyError } from './errors';
import type { IsolatedContext } from './isolated-main';
import { LocalCluster } from './local-cluster';
import { type SnapshotDestination, snapshotStandInEnv } from './object-store';
import { lastLine, plain, Restatectl, runCommand } from './restatectl';
import { S3StandIn, s3rverVersion } from './s3-stand-in';
import { clusterPodView } from './cluster-dns';
import { runJobContainer } from './job-run';
import { KubeDns } from './kube-dns';
import { PodView } from './pod-view';
import { buildClusterModel } from './model';
import { nftApply, nftAvailable } from './nft';
import { describeFailures, policyChecks, runPolicyChecks } from './policy-checks';
import { type EnforcedPod, policyRuleset } from './policy-nft';
import { PodAgent } from './pods';
import type { ProvisioningJob } from './target-extras';
import { ADMIN_PORT as ADMIN, FABRIC_PORT as FABRIC, INGRESS_PORT as INGRESS, podHost } from '../target/operator-names';
import { checkSnapshotsLand, onePartitionPerLeader, type SnapshotOutcome } from './snapshot-check';
import { httpCall } from './http-call';
import { ServiceApp } from './service-app';
import { localClusterControl, runServiceScenarios } from './live-service';
import type { CounterOutcome, ServiceEndpoints, SleepFailoverOutcome } from './service-checks';

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
  /** The namespace of the target's PodMonitor (where Prometheus is taken to run), when it has one. */
  readonly prometheusNamespace?: string;
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

export interface LiveResult {
  readonly ok: boolean;
  readonly steps: readonly LiveStep[];
  /** From starting the nodes until every partition had an active leader. */
  readonly readyMs?: number;
  /** From the SIGKILL until every partition had an active leader on a live node again. */
  readonly failoverMs?: number;
  /** The node that was killed. */
  readonly killed?: string;
  /** What the snapshot check saw in the stand-in, when the config has a snapshot destination. */
  readonly snapshots?: SnapshotOutcome;
  /** The SDK counter, incremented through successive SIGKILLs of single nodes. */
  readonly counter?: CounterOutcome;
  /** The sleeping invocation whose partition leader was SIGKILLed. */
  readonly sleep?: SleepFailoverOutcome;
  /** The NetworkPolicy connections tried for real, and the rules that enforced them. */
  readonly policies?: PolicyOutcome;
  /** The provisioning Job's run, when the target has one. */
  readonly jobMs?: number;
}

export interface PolicyOutcome {
  readonly policies: number;
  readonly acceptRules: number;
  readonly refusedCombinations: number;
  readonly checks: number;
  readonly reached: number;
  readonly refused: number;
}

/** Bound on the provisioning Job's run. */
const JOB_BOUND_MS = 120_000;
/** The script waits until every partition has a leader: give it the ready bound and some. */
const provisionDeadlineSeconds = (input: LiveCheckInput): number => Math.ceil(input.readyBoundMs / 1000) + 30;

/**
 * Stands the cluster up from the target's files the way its operator (1.7.4 or 2.8.1) would (pods as processes with their own
 * uids and DNS views, Services, NetworkPolicies as nftables rules), provisions it with what ships (the operator's
 * autoProvision, the Job, or the provisioning script), checks its layout and the policies, provisions again (a no-op), kills the busiest
 * node and waits for fail-over, then runs a real SDK service through more node losses (live-service.ts).
 * Runs inside the sandbox; stops and removes everything it started on every way out.
 */
export async function runLiveCheck(input: LiveCheckInput, context: IsolatedContext): Promise<LiveResult> {
  const { cluster, expected, label } = input;
  const steps: LiveStep[] = [];
  const say = (line: string): void => context.progress(`verify ${label}: ${line}`);
  const home = join(context.workDir, 'home');
  const bin = join(context.workDir, 'bin');
  // Emulated pods run as their own uids (the NetworkPolicy rules tell them apart by it): they need to pass.
  chmodSync(context.workDir, 0o711);
  mkdirSync(home, { recursive: true });
  mkdirSync(bin, { recursive: true });
  symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
  const env = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: home, NO_COLOR: '1' };
  const ctl = new Restatectl(input.binaries.restatectl, env);

  const model = buildClusterModel({
    cluster,
    ...(input.job ? { job: input.job } : {}),
    ...(input.prometheusNamespace ? { prometheusNamespace: input.prometheusNamespace } : {}),
    ...(input.objectStoreHost ? { objectStoreHost: input.objectStoreHost } : {}),
  });
  // The cluster DNS as kube-dns answers it: the operator's Services and pods, the SDK service's headless Service.
  const dns = registerClusterPods(new KubeDns(), cluster.name, cluster.replicas);
  dns.addService({ namespace: cluster.name, name: 'restate', clusterIp: RESTATE_SERVICE_IP });
  dns.addService({ namespace: model.service.namespace, name: model.service.name });
  dns.addPod({ namespace: model.service.namespace, hostname: model.service.name, subdomain: model.service.name, ip: model.service.ip });
  const views = join(context.workDir, 'views');
  let spareIp = 20;
  const viewOf = (pod: EnforcedPod): PodView => {
    const node = model.nodes.indexOf(pod);
    if (node >= 0) return clusterPodView(dns, cluster.name, node, views);
    return new PodView({ id: `${pod.namespace}.${pod.name}`, dir: views, namespace: pod.namespace, clusterDomain: dns.domain, nameserver: dns.ip, ip: pod.ip ?? `127.0.1.${spareIp++}`, hostname: pod.name });
  };
  const store = input.snapshots ? new S3StandIn({ bucket: input.snapshots.bucket, workDir: context.workDir }) : undefined;
  const local = new LocalCluster({
    cluster,
    serverBinary: input.binaries.server,
    workDir: context.workDir,
    extraEnv: store ? snapshotStandInEnv(store.endpoint) : {},
    uids: model.nodes.map((n) => n.uid),
    launch: (node, file, args) => viewOf(model.nodes[node.ordinal]).command(file, args, model.nodes[node.ordinal].uid),
  });
  const operatorVersion = cluster.operatorVersion ?? '1.7.4';
  const services = new ClusterServiceModel(
    local.nodes.map((n) => ({ name: n.name, ip: n.ip, running: () => local.isRunning(n.ordinal) })),
    readinessOf(operatorVersion),
  );
  const serviceHost = `${model.service.name}.${model.service.namespace}.svc.${dns.domain}`;
  const app = new ServiceApp(model.service, context.workDir, viewOf(model.service), serviceHost);
  // Client pods, and one agent per node (a shell in the pod, as `kubectl exec` gives one) for the checks.
  const clients = [model.operator, model.job, model.prometheus, model.admittedApp, model.unlistedApp, ...model.nodes].filter((p): p is EnforcedPod => p !== undefined);
  const agents = new Map(clients.map((pod) => [pod.uid, new PodAgent(pod, context.workDir, viewOf(pod))]));
  const agentFor = (pod: EnforcedPod): PodAgent => agents.get(pod.uid)!;
  context.onExit(() => {
    dns.stopSync();
    for (const agent of agents.values()) agent.stopSync();
    services.stop();
    app.stopSync();
    local.stopSync();
    local.removeFiles();
    store?.stopSync();
    store?.removeFiles();
  });

  const step = async (name: string, action: () => Promise<string>): Promise<void> => {
    const started = Date.now();
    try {
      const detail = await action();
      steps.push({ name, ok: true, detail, ms: Date.now() - started });
      say(`ok   ${name}: ${detail}`);
    } catch (error) {
      const detail = (error as Error).message;
      steps.push({ name, ok: false, detail, ms: Date.now() - started });
      say(`FAIL ${name}: ${detail}`);
      throw new StepFailed();
    }
  };
  const provision = () =>
    runCommand('sh', [PROVISION_SCRIPT_PATH, ...provisionScriptArgs({ address: local.nodes[0].address, deadlineSeconds: provisionDeadlineSeconds(input), intervalSeconds: 1, replicas: cluster.replicas })], {
      env,
      timeoutMs: Math.min(context.deadline.remainingMs(), (provisionDeadlineSeconds(input) + 10) * 1000),
    });

  let readyMs: number | undefined;
  let failoverMs: number | undefined;
  let killed: string | undefined;
  let startedAt = 0;
  let snapshots: SnapshotOutcome | undefined;
  const result: { counter?: CounterOutcome; sleep?: SleepFailoverOutcome; policies?: PolicyOutcome; jobMs?: number } = {};
  let policyRules = { accepted: 0, refused: 0 };
  try {
    if (store && input.snapshots) {
      await step(`start a local S3 stand-in for ${input.snapshots.url}`, async () => {
        await store.start(context.deadline.within(15_000));
        return `s3rver ${s3rverVersion()} on ${store.endpoint.url}, bucket ${input.snapshots!.bucket}; the nodes reach it through RESTATE_WORKER__SNAPSHOTS__* env, config.toml as shipped`;
      });
    }
    await step(`NetworkPolicies of operator ${operatorVersion} for ${cluster.name} enforced with nftables`, async () => {
      const unmapped = model.all.find((pod) => !uidMapped(pod.uid));
      if (unmapped) throw new VerifyError(`uid ${unmapped.uid} (pod ${unmapped.namespace}/${unmapped.name}) is not mapped in the sandbox's user namespace: run verify as root`);
      const unavailable = nftAvailable();
      if (unavailable) throw new VerifyError(`cannot load nftables rules in the sandbox: ${unavailable}`);
      const ruleset = policyRuleset(model.all, model.policies);
      nftApply(ruleset.script);
      await dns.start();
      policyRules = { accepted: ruleset.accepted, refused: ruleset.refused };
      return (
        `${model.policies.length} policies (${model.policies.map((p) => p.name).join(', ')}) over ${model.all.length} pods: ` +
        `${ruleset.accepted} accept rules by socket uid, ${ruleset.refused} pod-to-port combinations dropped`
      );
    });
    await step(`start ${cluster.replicas} restate-server processes`, async () => {
      startedAt = Date.now();
      await local.start(context.deadline.within(30_000));
      for (const n of local.nodes) services.containerStarted(n.name);
      services.start();
      return `${local.nodes.map((n) => `${n.name}=${n.ip}`).join(', ')}; fabric ports listening after ${seconds(Date.now() - startedAt)}`;
    });
    await step(`start ${clients.length + 1} client and application pods of the model`, async () => {
      await Promise.all([...[...agents.values()].map((a) => a.start()), app.start(context.deadline.within(30_000))]);
      return `${clients.map((p) => `${p.namespace}/${p.name} (uid ${p.uid})`).join(', ')}; the SDK service ${app.pod.namespace}/${app.pod.name} on ${app.uri} (uid ${app.pod.uid})`;
    });
    await step('the cluster waits for provisioning (auto-provision is off)', async () => {
      const status = await ctl.run(local.liveAddresses(), ['status']);
      if (status.code === 0) throw new VerifyError('restatectl status exits 0 before anyone provisioned: the nodes provisioned themselves; set auto-provision = false');
      return `restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`;
    });
    const job = input.job;
    if (cluster.autoProvision) {
      // What operator 2.8.1 does once restate-0 runs: one ProvisionCluster call with no values of its own (the
      // node's config decides), to restate-0 through the headless Service, from the operator's pod
      // (provisioning.rs:113-173, compute.rs:970-1008 at v2.8.1). restatectl provision makes the same call.
      const target = `http://${podHost(0)}.${cluster.name}.svc.${dns.domain}:${FABRIC}`;
      await step(`the operator provisions the cluster (spec.cluster.autoProvision), from its pod through ${target}`, async () => {
        const command = viewOf(model.operator).command('restatectl', ['provision', '--yes', '--address', target], model.operator.uid);
        const run = await runCommand(command.file, command.args, { env, timeoutMs: Math.min(context.deadline.remainingMs(), JOB_BOUND_MS) });
        const out = plain(run.stdout + run.stderr);
        if (run.code !== 0 || !out.includes('Cluster has been successfully provisioned')) {
          throw new VerifyError(`restatectl provision from the operator's pod exited ${run.code ?? 'killed'}:\n${out.trim()}`);
        }
        // The operator returns at once (its Ready condition then waits for the pods); the nodes take a moment to
        // learn of it: wait as the provisioning script does, until `restatectl status` exits 0.
        const t = Date.now();
        await pollUntil('restatectl status exits 0 after the operator provisioned', context.deadline.within(input.readyBoundMs), 500, async () => {
          const status = await ctl.run(local.liveAddresses(), ['status']);
          return status.code === 0 ? { done: true, value: undefined } : { done: false, reason: lastLine(status.stderr || status.stdout) };
        });
        return `as uid ${model.operator.uid} in ${model.operator.namespace}, ${seconds(run.ms)}: ${lastLine(run.stdout)}; restatectl status exits 0 after ${seconds(Date.now() - t)} more`;
      });
    } else if (job && model.job) {
      const jobPod = model.job;
      await step(`the provisioning Job ${job.namespace}/${job.name} provisions the cluster, as synthesized`, async () => {
        const run = await runJobContainer(job, {
          dns,
          dir: join(context.workDir, 'job'),
          binDir: bin,
          ip: '127.0.1.10',
          uid: jobPod.uid,
          timeoutMs: Math.min(context.deadline.remainingMs(), JOB_BOUND_MS),
        });
        const out = plain(run.stdout + run.stderr);
        const argv = [...job.command, ...job.args].join(' ');
        if (run.code !== 0) throw new VerifyError(`the Job's container (${argv}) exited ${run.code ?? 'killed'} after ${seconds(run.ms)}:\n${out.trim()}`);
        if (!out.includes('cluster has been successfully provisioned')) throw new VerifyError(`the Job exited 0 but did not provision the cluster itself:\n${out.trim()}`);
        result.jobMs = run.ms;
        const search = run.resolvConf.split('\n').find((l) => l.startsWith('search')) ?? '';
        return `${argv}: done in ${seconds(run.ms)}, as uid ${jobPod.uid} in ${job.namespace} (resolv.conf ${search}): ${lastLine(run.stdout)}`;
      });
    } else {
      await step('provision.sh provisions the cluster', async () => {
        const run = await provision();
        const out = plain(run.stdout + run.stderr);
        if (run.code !== 0) throw new VerifyError(`provision.sh exited ${run.code}:\n${out.trim()}`);
        if (!out.includes('cluster has been successfully provisioned')) {
          throw new VerifyError(`provision.sh succeeded but did not provision the cluster itself:\n${out.trim()}`);
        }
        return `in ${seconds(run.ms)}: ${lastLine(run.stdout)}`;
      });
    }
    await step('restatectl status exits 0', async () => {
      const status = await ctl.run(local.liveAddresses(), ['status']);
      if (status.code !== 0) throw new VerifyError(`restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
      return 'yes';
    });
    let leaders = new Map<number, string[]>();
    await step('every partition has an active leader', async () => {
      const bound = Math.max(0, input.readyBoundMs - (Date.now() - startedAt));
      leaders = await pollUntil(
        `an active leader for each of the ${expected.partitions} partitions`,
        context.deadline.within(bound),
        500,
        () => probeLeaders(ctl, local.liveAddresses(), expected.partitions),
        (reason) => say(`     waiting: ${reason}`),
      ).catch((error: Error) => {
        // Partition processors also wait for the snapshot store: the nodes' logs tell which it was.
        throw new VerifyError(`${error.message}\n      ${local.logSummary()}`);
      });
      readyMs = Date.now() - startedAt;
      return `ready ${seconds(readyMs)} after start`;
    });
    await step(`partitions and replication match the config`, async () =>
      pollUntil('the partition table and logs as configured', context.deadline.within(30_000), 500, () => probeLayout(ctl, local.liveAddresses(), expected)),
    );
    await step('the NetworkPolicies hold for real connections', async () => {
      const checks = policyChecks(model);
      const results = await runPolicyChecks(checks, agentFor);
      const failures = describeFailures(results);
      if (failures.length > 0) throw new VerifyError(`${failures.length} of ${results.length} checks failed:\n      ${failures.join('\n      ')}`);
      const reached = results.filter((r) => r.connected).length;
      result.policies = {
        policies: model.policies.length,
        acceptRules: policyRules.accepted,
        refusedCombinations: policyRules.refused,
        checks: results.length,
        reached,
        refused: results.length - reached,
      };
      const kinds = [
        model.job ? 'the Job reaches 5122 of every node' : undefined,
        model.prometheus ? 'Prometheus reaches 5122 of every node' : undefined,
        model.admittedApp ? `${model.admittedApp.namespace}/${model.admittedApp.name} (admitted) reaches 8080` : `no application reaches 8080 (${model.noAdmittedApp})`,
        cluster.autoProvision ? 'the operator reaches 9070 and, to provision, 5122' : 'the operator reaches 9070',
        'an unlisted application is refused where the policies say so',
      ].filter(Boolean);
      return `${results.length} connections, ${reached} through and ${results.length - reached} refused, each as required: ${kinds.join('; ')}`;
    });
    await step('a second provisioning is a no-op', async () => {
      const again = await provision();
      const out = plain(again.stdout + again.stderr);
      if (again.code !== 0 || !out.includes('already provisioned')) {
        throw new VerifyError(`provision.sh on a provisioned cluster exited ${again.code}:\n${out.trim()}`);
      }
      const direct = await ctl.run([local.nodes[0].address], ['provision', '--yes']);
      if (!plain(direct.stdout).includes('Cluster has been provisioned by somebody else.')) {
        throw new VerifyError(`restatectl provision on a provisioned cluster said: ${lastLine(direct.stdout + direct.stderr)}`);
      }
      return 'provision.sh: already provisioned; restatectl provision: provisioned by somebody else';
    });
    if (store && input.snapshots) {
      const destination = input.snapshots;
      await step(`snapshots of one partition per leading node land under ${destination.url}`, async () => {
        const t = Date.now();
        snapshots = await checkSnapshotsLand({
          ctl,
          addresses: local.liveAddresses(),
          store,
          destination,
          partitions: onePartitionPerLeader(leaders),
          clusterName: cluster.clusterName,
          deadline: context.deadline.within(60_000),
          onWait: (reason) => say(`     waiting: ${reason}`),
        });
        return (
          `partitions ${snapshots.partitions.join(', ')}, written by ${snapshots.writers.join(', ')}: each latest.json points to a complete snapshot; ` +
          `${snapshots.objects} objects (${snapshots.bytes} bytes), e.g. ${snapshots.example}; ` +
          `${seconds(Date.now() - t)} (restatectl snapshots create-snapshot ${seconds(snapshots.restatectlMs)})`
        );
      });
    }
    const victim = local.nodes.find((n) => n.name === busiestLeader(leaders)) ?? local.nodes[local.nodes.length - 1];
    killed = victim.name;
    await step(`SIGKILL ${victim.name}: every partition has a live leader again`, async () => {
      const led = [...leaders.values()].filter((names) => names.includes(victim.name)).length;
      const t = Date.now();
      await local.kill(victim.ordinal);
      await pollUntil(`an active leader on a live node for each of the ${expected.partitions} partitions`, context.deadline.within(input.failoverBoundMs), 250, () =>
        probeLeaders(ctl, local.liveAddresses(), expected.partitions, new Set([victim.name])),
      );
      failoverMs = Date.now() - t;
      return `${victim.name} led ${led} partitions; all led again after ${seconds(failoverMs)} (bound ${seconds(input.failoverBoundMs)})`;
    });
    await step(`restatectl status exits 0 with ${victim.name} down`, async () => {
      const status = await ctl.run(local.liveAddresses(), ['status']);
      if (status.code !== 0) throw new VerifyError(`restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
      return 'yes';
    });

    const control = localClusterControl({ local, ctl, services, deadline: context.deadline, readyBoundMs: input.readyBoundMs, partitions: expected.partitions });
    await step(`restart ${victim.name} on its data: every partition has an active leader`, async () => {
      const t = Date.now();
      await control.restart(victim.ordinal);
      return `after ${seconds(Date.now() - t)}`;
    });
    // The admin API as a user reaches it when the policies admit nobody: `kubectl port-forward svc/restate 9070`,
    // which NetworkPolicies do not govern (the harness's own uid). The ingress through Service `restate`'s
    // ClusterIP, from the admitted application when the CR admits one.
    const harness = { http: httpCall };
    const endpoints: ServiceEndpoints = {
      ingress: `http://restate.${cluster.name}.svc.${dns.domain}:${INGRESS}`,
      caller: model.admittedApp ? agentFor(model.admittedApp) : harness,
      admin: `http://restate.${cluster.name}.svc.${dns.domain}:${ADMIN}`,
      adminCaller: harness,
    };
    await runServiceScenarios({ step, endpoints, control, app, deadline: context.deadline, callBoundMs: input.failoverBoundMs + 30_000, record: result });
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    for (const agent of agents.values()) agent.stopSync();
    await dns.stop();
    services.stop();
    app.stopSync();
    await local.stop();
    local.removeFiles();
    await store?.stop();
    store?.removeFiles();
  }
  return { ok: steps.every((s) => s.ok), steps, readyMs, failoverMs, killed, snapshots, ...result };
}

class StepFailed extends Error {}

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

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
