import { readFileSync } from 'node:fs';
import { DATA_LOSS_LOG, nodeIdOf, nodeIdQuery, type RecoverStep, recoverSteps, type SqlRow } from '../../stack/day-two/recover-steps';
import type { Restatectl } from '../restatectl';
import { probeLayout } from '../cluster-checks';
import { type Deadline, pollUntil, sleep } from '../deadline';
import { VerifyError } from '../errors';
import { seconds } from '../live-session';
import { type LocalCluster, type LocalNode, logTail } from '../local-cluster';
import { describeExit } from '../managed-process';
import { lastLine, plain } from '../restatectl';
import { probeNodeBack } from './node-health';
import type { Scenario, ScenarioContext, ScenarioFigure, ScenarioOutcome } from './scenario';

/** Adds acknowledged before the loss, while the node is refused, and after the recovery. */
const ADDS_PER_PHASE = 5;
/** Bound on the empty node's exit. */
const EXIT_BOUND_MS = 30_000;
/** Bound on the new node's way in after the recovery: listed, alive, its partition processors active. */
const JOIN_BOUND_MS = 90_000;

/** The data-loss lines of a node's log, shortened for the report. */
export function dataLossLine(log: string): string | undefined {
  const match = DATA_LOSS_LOG.exec(log);
  if (!match) return undefined;
  const start = log.lastIndexOf('\n', match.index) + 1;
  const end = log.indexOf('\n', match.index + match[0].length);
  const line = log.slice(start, end < 0 ? undefined : end);
  try {
    const entry = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    return `${entry.level ?? ''} ${entry.fields?.message ?? line}`.slice(0, 300);
  } catch {
    return match[0].slice(0, 300);
  }
}

/**
 * Volume loss: one pod's volume is lost (SIGKILL, its data folder removed) and it starts again empty under its
 * old name, as a StatefulSet does with a new PVC. It must exit 1 with the data-loss line (a CrashLoopBackOff)
 * while the rest serves; then the recovery of lib/stack/day-two/recover-steps.ts runs exactly as `deploy
 * recover` runs it (each restatectl argv, each wait), and the node joins under a new node id.
 */
export const volumeLoss: Scenario = {
  name: 'volume-loss',
  summary:
    'one pod restarted on an empty volume exits 1 (data loss, join refused); the recover steps of deploy recover bring it back as a new node id, counter exact',
  budgetSeconds: 240,
  refuse: ({ replicas, replication }) =>
    replicas - 1 < replication
      ? `with one of ${replicas} pods lost a replication of ${replication} cannot be met, so the cluster cannot serve while it recovers`
      : undefined,
  run: runVolumeLoss,
};

async function runVolumeLoss(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { local, ctl, counter, session } = ctx;
  const node = local.nodes[session.cluster.replicas - 1];
  const figures: ScenarioFigure[] = [];
  let oldId: string | undefined;

  await ctx.step(`${ADDS_PER_PHASE} adds through the counter`, async () => {
    await counter.addMany(ADDS_PER_PHASE, ctx.deadline.within(30_000));
    const rows = await ctl.sql<SqlRow>(local.liveAddresses(), nodeIdQuery(node.name));
    oldId = rows.map(nodeIdOf).find((id) => id !== undefined);
    if (!oldId) throw new VerifyError(`${node.name} is not listed in the cluster's nodes: ${JSON.stringify(rows)}`);
    return `${counter.acknowledged} acknowledged; ${node.name} is ${oldId}`;
  });
  await ctx.step(`${node.name} loses its volume and starts empty under its old name: it exits 1 with the data-loss line`, async () => {
    await local.kill(node.ordinal);
    local.removeData(node.ordinal);
    const t = Date.now();
    const exit = await local.startUntilExit(node.ordinal, ctx.deadline.within(EXIT_BOUND_MS));
    session.services.containerStarted(node.name);
    const log = readFileSync(node.logFile, 'utf8');
    const line = dataLossLine(log);
    if (exit.code !== 1) throw new VerifyError(`${node.name} ended with ${describeExit(exit)}, not exit status 1`);
    if (!line)
      throw new VerifyError(
        `${node.name} exited 1 without the data-loss line (${DATA_LOSS_LOG}); its log says:\n      ${logTail(node.logFile, 8)}`,
      );
    figures.push({ name: 'empty start to exit 1', value: Number(((Date.now() - t) / 1000).toFixed(1)), unit: 's' });
    return `${describeExit(exit)} after ${seconds(Date.now() - t)} (a CrashLoopBackOff in Kubernetes): ${line}`;
  });
  await ctx.step(`the cluster serves without ${node.name}: every partition led, ${ADDS_PER_PHASE} adds`, async () => {
    const ms = await session.partitionsLed(60_000);
    await counter.addMany(ADDS_PER_PHASE, ctx.deadline.within(30_000));
    return `every partition led (${seconds(ms)}), ${counter.acknowledged} adds acknowledged`;
  });

  const recoverStarted = Date.now();
  for (const step of recoverSteps({ name: node.name, id: oldId! })) {
    const runner = { local, ctl, deadline: ctx.deadline, started: (name: string) => session.services.containerStarted(name) };
    await ctx.step(`recover: ${describeStep(step)}`, async () => runRecoverStep(runner, step, node));
  }
  await ctx.step(`${node.name} joined under a new node id: alive, every partition led with its replica set`, async () => {
    const t = Date.now();
    const back = await pollUntil(`${node.name} in the cluster under a new node id`, ctx.deadline.within(JOIN_BOUND_MS), 500, () =>
      probeNodeBack(ctl, local.liveAddresses(), { name: node.name, partitions: session.expected.partitions }),
    );
    const layout = await pollUntil('the partition table and logs as configured', ctx.deadline.within(30_000), 500, () =>
      probeLayout(ctl, local.liveAddresses(), session.expected),
    );
    return `${back} (${seconds(Date.now() - t)}); ${layout}`;
  });
  await ctx.step(`the metadata cluster has ${session.cluster.replicas} members again`, async () => {
    const members = await pollUntil('every pod a metadata member', ctx.deadline.within(30_000), 500, async () => {
      const now = await metadataMembers(ctl, local.liveAddresses());
      return now.length === session.cluster.replicas ? { done: true, value: now } : { done: false, reason: `members ${now.join(', ')}` };
    }).catch(async () => metadataMembers(ctl, local.liveAddresses()));
    if (members.length !== session.cluster.replicas)
      throw new VerifyError(`the metadata cluster has ${members.length} members (${members.join(', ')}), not ${session.cluster.replicas}`);
    figures.push({ name: 'recover steps to the node back', value: Number(((Date.now() - recoverStarted) / 1000).toFixed(1)), unit: 's' });
    return members.join(', ');
  });
  await ctx.step(`${ADDS_PER_PHASE} adds, and no acknowledged write lost or applied twice`, async () => {
    await counter.addMany(ADDS_PER_PHASE, ctx.deadline.within(30_000));
    return counter.verify(ctx.deadline.within(30_000));
  });
  await session.statusExitsZero(' after the recovery');
  figures.push({ name: 'acknowledged adds in total', value: counter.acknowledged });
  return {
    figures,
    consequence:
      '`deploy status` recognises the data-loss line and names `deploy recover`, which runs these same steps (kubectl exec) after confirming, ' +
      'and empties the volume before the restart (the refused attempts wrote to it: restarted on it, the new node stays a metadata Standby); ' +
      'multi-node targets without snapshots warn at synth, and logs are never trimmed automatically there (a trimmed log makes this recovery impossible)',
  };
}

/** Plain node ids of the metadata cluster's members. */
async function metadataMembers(ctl: Restatectl, addresses: readonly string[]): Promise<string[]> {
  const rows = await ctl.sql<{ plain_node_id: string; metadata_server_state: string }>(
    addresses,
    'SELECT plain_node_id, metadata_server_state FROM nodes',
  );
  return rows
    .filter((r) => r.metadata_server_state.toLowerCase() === 'member')
    .map((r) => r.plain_node_id)
    .sort();
}

export function describeStep(step: RecoverStep): string {
  return step.kind === 'restatectl' ? `restatectl ${step.argv.join(' ')}` : `start ${step.nodeName} again on an emptied volume`;
}

/** What runs the recover steps: the local cluster, its restatectl, the run's deadline. */
export interface RecoverRunner {
  readonly local: LocalCluster;
  readonly ctl: Restatectl;
  readonly deadline: Deadline;
  /** Told when the lost node is started again (verify's service model counts container starts). */
  readonly started?: (name: string) => void;
}

/** One recover step as deploy runs it: the restatectl argv (or the pod's restart), then its wait. */
export async function runRecoverStep(ctx: RecoverRunner, step: RecoverStep, node: LocalNode): Promise<string> {
  const { local, ctl } = ctx;
  const t = Date.now();
  let did: string;
  const satisfied = async (): Promise<boolean> => {
    const wait = step.waitFor;
    if (!wait) return false;
    const rows = await ctl.sql<SqlRow>(local.liveAddresses(), wait.sql).catch(() => undefined);
    return rows !== undefined && wait.satisfied(rows);
  };
  if (step.kind === 'restatectl') {
    // A failed attempt is tried again (a node that just joined can time out an add-node) until the step's wait
    // bound, unless what it waits for already holds (an earlier attempt took effect but its answer was lost).
    const bound = ctx.deadline.within((step.waitFor?.timeoutSeconds ?? 30) * 1000);
    let attempts = 0;
    for (;;) {
      attempts++;
      const run = await ctl.run(local.liveAddresses(), step.argv, Math.max(1000, Math.min(30_000, bound.remainingMs())));
      if (run.code === 0) {
        did = `exit 0${attempts > 1 ? ` at attempt ${attempts}` : ''} (${lastLine(run.stdout || run.stderr)})`;
        break;
      }
      const why = `restatectl ${step.argv.join(' ')} exited ${run.code}: ${plain(run.stderr || run.stdout)
        .trim()
        .slice(0, 400)}`;
      if (await satisfied()) {
        did = `already in effect after attempt ${attempts} (${why})`;
        break;
      }
      if (bound.remainingMs() < 2000) throw new VerifyError(`${why} (${attempts} attempts)`);
      await sleep(1000);
    }
  } else {
    if (step.nodeName !== node.name) throw new VerifyError(`the restart step names ${step.nodeName}, the lost node is ${node.name}`);
    // The refused attempts wrote to the volume: the step starts on an empty one (its claim deleted and recreated).
    // Measured: restarted on what they left, the new node id stays a metadata Standby and add-node times out.
    local.removeData(node.ordinal);
    await local.restart(node.ordinal, ctx.deadline.within(30_000));
    ctx.started?.(node.name);
    did = 'listening';
  }
  const wait = step.waitFor;
  if (!wait) return `${did} in ${seconds(Date.now() - t)}`;
  await pollUntil(wait.description, ctx.deadline.within(wait.timeoutSeconds * 1000), 250, async () => {
    if (step.kind === 'restart' && !local.isRunning(node.ordinal))
      throw new VerifyError(`${node.name} exited again after the recovery: ${local.logSummary()}`);
    const rows = await ctl.sql<SqlRow>(local.liveAddresses(), wait.sql);
    return wait.satisfied(rows)
      ? { done: true, value: undefined }
      : { done: false, reason: `not yet: ${JSON.stringify(rows).slice(0, 300)}` };
  });
  return `${did}; ${wait.description} after ${seconds(Date.now() - t)}`;
}
