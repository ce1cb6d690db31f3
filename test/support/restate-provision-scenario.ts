/**
 * Runs inside the verify sandbox (loopback-only network, private mounts and PIDs) for
 * test/stack/provision-script.live.test.ts: stands up a real cluster with the code verify uses, runs
 * lib/stack/provisioning/provision.sh against it in the ways the product does, and records what happened.
 * The test asserts on the record.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../../lib/stack/provisioning/script';
import type { RestateBinaries } from '../../lib/verify/binaries';
import type { ClusterUnderTest } from '../../lib/verify/cluster-spec';
import { isolatedMain } from '../../lib/verify/isolated-main';
import { LocalCluster } from '../../lib/verify/local-cluster';
import { type CommandResult, plain, Restatectl, runCommand } from '../../lib/verify/restatectl';

export interface ScenarioInput {
  readonly cluster: ClusterUnderTest;
  readonly binaries: RestateBinaries;
  /** Deadline passed to the run against an unreachable node. */
  readonly unreachableDeadlineSeconds: number;
  /** Deadline passed to the run against the cluster with only one node up. */
  readonly partialDeadlineSeconds: number;
  /** The replication the runs after provisioning ask for (`restatectl provision --replication`, `--ensure-replication`). */
  readonly ensureReplication: number;
}

/** `Log replication` and `Partition replication` as `restatectl config get` prints them (`{node: 2}`). */
export interface Replication {
  readonly log?: string;
  readonly partition?: string;
}

export interface ScenarioRecord {
  /** LocalCluster.start with a port of restate-1 already taken: its error message. */
  readonly portTakenError: string;
  /** `restatectl status` exit status on the fresh cluster, before provisioning. */
  readonly statusBefore: number | null;
  readonly first: CommandResult;
  readonly statusAfterFirst: number | null;
  /** `restatectl config get` after the first run: the replication the cluster was provisioned with. */
  readonly replicationAfterFirst: Replication;
  /** `restatectl provision --replication <ensureReplication> --yes` on the provisioned cluster (the bare command). */
  readonly provisionAgain: CommandResult;
  readonly replicationAfterProvisionAgain: Replication;
  /** The script with `--ensure-replication <ensureReplication>` on the provisioned cluster, as the Job runs it. */
  readonly ensure: CommandResult;
  readonly replicationAfterEnsure: Replication;
  /** Partition table after the first run: count and versions. */
  readonly tableAfterFirst: { readonly partitions: number; readonly versions: readonly number[] };
  /** Second run, through `sh -s` with the script on stdin, as the `provision` task runs it. */
  readonly second: CommandResult;
  readonly tableAfterSecond: { readonly partitions: number; readonly versions: readonly number[] };
  readonly unreachable: CommandResult;
  /** A fresh cluster with only restate-0 of 3 running: the script with --replicas 3 and a short deadline. */
  readonly partial: CommandResult;
  /** `restatectl status` on that cluster right after: exits 0 although no partition can run. */
  readonly partialStatus: number | null;
  /** The script again on that provisioned, degraded cluster. */
  readonly partialAgain: CommandResult;
}

isolatedMain<ScenarioInput, ScenarioRecord>(async (input, context) => {
  const bin = join(context.workDir, 'bin');
  const home = join(context.workDir, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
  const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: home };
  const ctl = new Restatectl(input.binaries.restatectl, env);

  // A port of restate-1 taken by someone else: start-up must stop with a clear message, not hang.
  let portTakenError = '(started)';
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.2', port: 9070 }, resolve));
  const blocked = new LocalCluster({
    cluster: input.cluster,
    serverBinary: input.binaries.server,
    workDir: join(context.workDir, 'blocked'),
  });
  context.onExit(() => blocked.stopSync());
  try {
    await blocked.start(context.deadline.within(10_000));
    await blocked.stop();
  } catch (error) {
    portTakenError = (error as Error).message;
  }
  await new Promise<void>((resolve) => squatter.close(() => resolve()));

  const local = new LocalCluster({ cluster: input.cluster, serverBinary: input.binaries.server, workDir: context.workDir });
  context.onExit(() => {
    local.stopSync();
    local.removeFiles();
  });
  await local.start(context.deadline.within(20_000));
  const address = local.nodes[0].address;
  const status = async () => (await ctl.run([address], ['status'])).code;
  const table = async () => {
    const rows = await ctl.sql<{ partition_table_version: number }>([address], 'SELECT partition_table_version FROM partitions');
    return { partitions: rows.length, versions: [...new Set(rows.map((r) => r.partition_table_version))] };
  };
  const args = (address: string, deadlineSeconds: number) =>
    provisionScriptArgs({ address, deadlineSeconds, intervalSeconds: 1, replicas: input.cluster.replicas });

  const replication = async (): Promise<Replication> => {
    const out = plain((await ctl.run([address], ['config', 'get'])).stdout);
    const field = (name: string) => new RegExp(`${name}: *(.*)`).exec(out)?.[1]?.trim();
    return { log: field('Log replication'), partition: field('Partition replication') };
  };

  const statusBefore = await status();
  // Until every partition has a leader: ~20 s alone on 2 cores, more while other suites run.
  const first = await runCommand('sh', [PROVISION_SCRIPT_PATH, ...args(address, 120)], { env, timeoutMs: 130_000 });
  const statusAfterFirst = await status();
  const tableAfterFirst = await table();
  const second = await runCommand('sh', ['-c', 'exec sh -s -- "$@" < "$0"', PROVISION_SCRIPT_PATH, ...args(address, 30)], {
    env,
    timeoutMs: 40_000,
  });
  const tableAfterSecond = await table();
  // Raising the replication of a provisioned cluster: the bare provision command, then the script's own step.
  const replicationAfterFirst = await replication();
  const provisionAgain = await ctl.run([address], ['provision', '--replication', String(input.ensureReplication), '--yes']);
  const replicationAfterProvisionAgain = await replication();
  const ensure = await runCommand(
    'sh',
    [PROVISION_SCRIPT_PATH, ...args(address, 60), ...provisionScriptArgs({ ensureReplication: input.ensureReplication })],
    { env, timeoutMs: 70_000 },
  );
  const replicationAfterEnsure = await replication();
  // Nothing listens on 127.0.0.9 in this namespace: a node that does not answer.
  const unreachable = await runCommand('sh', [PROVISION_SCRIPT_PATH, ...args('http://127.0.0.9:5122', input.unreachableDeadlineSeconds)], {
    env,
    timeoutMs: (input.unreachableDeadlineSeconds + 10) * 1000,
  });

  await local.stop();
  local.removeFiles();

  // A fresh cluster where only restate-0 stays up (restate-1 and restate-2 are killed before provisioning).
  mkdirSync(join(context.workDir, 'partial'));
  const partialCluster = new LocalCluster({
    cluster: input.cluster,
    serverBinary: input.binaries.server,
    workDir: join(context.workDir, 'partial'),
  });
  context.onExit(() => {
    partialCluster.stopSync();
    partialCluster.removeFiles();
  });
  await partialCluster.start(context.deadline.within(20_000));
  await partialCluster.kill(1);
  await partialCluster.kill(2);
  const partial = await runCommand('sh', [PROVISION_SCRIPT_PATH, ...args(address, input.partialDeadlineSeconds)], {
    env,
    timeoutMs: (input.partialDeadlineSeconds + 10) * 1000,
  });
  const partialStatus = (await ctl.run([address], ['status'])).code;
  const partialAgain = await runCommand('sh', [PROVISION_SCRIPT_PATH, ...args(address, 30)], { env, timeoutMs: 40_000 });
  await partialCluster.stop();
  partialCluster.removeFiles();
  return {
    portTakenError,
    statusBefore,
    first,
    statusAfterFirst,
    tableAfterFirst,
    replicationAfterFirst,
    provisionAgain,
    replicationAfterProvisionAgain,
    ensure,
    replicationAfterEnsure,
    second,
    tableAfterSecond,
    unreachable,
    partial,
    partialStatus,
    partialAgain,
  };
});
