import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../provisioning/script';
import type { RestateBinaries } from './binaries';
import type { ClusterUnderTest } from './cluster-spec';
import { busiestLeader, type ExpectedLayout, probeLayout, probeLeaders } from './cluster-checks';
import { pollUntil } from './deadline';
import { VerifyError } from './errors';
import type { IsolatedContext } from './isolated-main';
import { LocalCluster } from './local-cluster';
import { type SnapshotDestination, snapshotStandInEnv } from './object-store';
import { lastLine, plain, Restatectl, runCommand } from './restatectl';
import { S3StandIn, s3rverVersion } from './s3-stand-in';
import { checkSnapshotsLand, onePartitionPerLeader, type SnapshotOutcome } from './snapshot-check';

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
}

/** The script waits until every partition has a leader: give it the ready bound and some. */
const provisionDeadlineSeconds = (input: LiveCheckInput): number => Math.ceil(input.readyBoundMs / 1000) + 30;

/**
 * Stands the cluster up from the CR the way the operator would, provisions it with the product's provisioning
 * script, checks its layout, provisions again (a no-op), kills the busiest node and waits for fail-over.
 * Runs inside the sandbox; stops and removes everything it started on every way out.
 */
export async function runLiveCheck(input: LiveCheckInput, context: IsolatedContext): Promise<LiveResult> {
  const { cluster, expected, label } = input;
  const steps: LiveStep[] = [];
  const say = (line: string): void => context.progress(`verify ${label}: ${line}`);
  const home = join(context.workDir, 'home');
  const bin = join(context.workDir, 'bin');
  mkdirSync(home, { recursive: true });
  mkdirSync(bin, { recursive: true });
  symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
  const env = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: home, NO_COLOR: '1' };
  const ctl = new Restatectl(input.binaries.restatectl, env);

  const store = input.snapshots ? new S3StandIn({ bucket: input.snapshots.bucket, workDir: context.workDir }) : undefined;
  const local = new LocalCluster({
    cluster,
    serverBinary: input.binaries.server,
    workDir: context.workDir,
    extraEnv: store ? snapshotStandInEnv(store.endpoint) : {},
  });
  context.onExit(() => {
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
  try {
    if (store && input.snapshots) {
      await step(`start a local S3 stand-in for ${input.snapshots.url}`, async () => {
        await store.start(context.deadline.within(15_000));
        return `s3rver ${s3rverVersion()} on ${store.endpoint.url}, bucket ${input.snapshots!.bucket}; the nodes reach it through RESTATE_WORKER__SNAPSHOTS__* env, config.toml as shipped`;
      });
    }
    await step(`start ${cluster.replicas} restate-server processes`, async () => {
      startedAt = Date.now();
      await local.start(context.deadline.within(30_000));
      return `${local.nodes.map((n) => `${n.name}=${n.ip}`).join(', ')}; fabric ports listening after ${seconds(Date.now() - startedAt)}`;
    });
    await step('the cluster waits for provisioning (auto-provision is off)', async () => {
      const status = await ctl.run(local.liveAddresses(), ['status']);
      if (status.code === 0) throw new VerifyError('restatectl status exits 0 before anyone provisioned: the nodes provisioned themselves; set auto-provision = false');
      return `restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`;
    });
    await step('provision.sh provisions the cluster', async () => {
      const run = await provision();
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0) throw new VerifyError(`provision.sh exited ${run.code}:\n${out.trim()}`);
      if (!out.includes('cluster has been successfully provisioned')) {
        throw new VerifyError(`provision.sh succeeded but did not provision the cluster itself:\n${out.trim()}`);
      }
      return `in ${seconds(run.ms)}: ${lastLine(run.stdout)}`;
    });
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
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    await local.stop();
    local.removeFiles();
    await store?.stop();
    store?.removeFiles();
  }
  return { ok: steps.every((s) => s.ok), steps, readyMs, failoverMs, killed, snapshots };
}

class StepFailed extends Error {}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
