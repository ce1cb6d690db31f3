import { sleep } from '../deadline';
import { VerifyError } from '../errors';
import { seconds } from '../live-session';
import type { WriterStats } from './counter-client';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './scenario';

/** Adds acknowledged before the loss. */
const ADDS_BEFORE = 10;
/** Adds acknowledged by the writer before the SIGKILLs, so that writes are in flight when they land. */
const ADDS_IN_FLIGHT = 3;
/** How long the majority stays down: writes must hang all that time. */
const OUTAGE_MS = 8000;
/** An add that started before the SIGKILLs may still answer in this time after them. */
const SETTLE_MS = 1500;
/** Bound on the way back: restarted on their data until every partition is led. */
const RECOVERY_BOUND_MS = 60_000;
/** Adds acknowledged after the recovery before the writer stops. */
const ADDS_AFTER = 5;

/** The smallest number of the nodes that is a majority of them: what this scenario takes away. */
export function majorityOf(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

/**
 * Majority loss: with the counter writing, a majority of the pods (2 of 3) is SIGKILLed at once. Writes must hang
 * (no majority for the metadata Raft group, too few log servers for the replication); the pods come back on
 * their data, as the StatefulSet restarts them onto their PVCs, and the cluster must recover by itself with
 * every acknowledged write there exactly once.
 */
export const majorityLoss: Scenario = {
  name: 'majority-loss',
  summary:
    'a majority of the pods (2 of 3) SIGKILLed with writes in flight: writes hang; restarted on their data, it recovers by itself, no acknowledged write lost or applied twice',
  budgetSeconds: 240,
  refuse: ({ replicas }) =>
    replicas < 3 ? `a majority loss that leaves a node running needs at least 3 pods, the target has ${replicas}` : undefined,
  run: runMajorityLoss,
};

async function runMajorityLoss(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { local, counter, session } = ctx;
  const replicas = session.cluster.replicas;
  const victims = local.nodes.slice(replicas - majorityOf(replicas), replicas);
  const names = victims.map((n) => n.name).join(' and ');

  await ctx.step(`${ADDS_BEFORE} adds through the counter`, async () => {
    await counter.addMany(ADDS_BEFORE, ctx.deadline.within(30_000));
    return `${counter.acknowledged} acknowledged`;
  });
  const writer = counter.startWriter(ctx.deadline.within(ctx.deadline.remainingMs()));
  let killedAt = 0;
  let restartedAt = 0;
  let ackedAtKill = 0;
  let recoveryMs = 0;
  let firstAckAfterRestartMs = 0;
  let stats: WriterStats = { writes: 0, failedAttempts: 0, retriedWrites: 0, slowestMs: 0, disturbedMs: 0 };
  try {
    await ctx.step(`SIGKILL ${names} (${victims.length} of ${replicas}) with writes in flight: writes hang`, async () => {
      const target = counter.acknowledged + ADDS_IN_FLIGHT;
      while (counter.acknowledged < target) await sleep(20);
      killedAt = Date.now();
      await Promise.all(victims.map((n) => local.kill(n.ordinal)));
      await sleep(SETTLE_MS);
      ackedAtKill = counter.acknowledged;
      await sleep(OUTAGE_MS - SETTLE_MS);
      const during = counter.acknowledged - ackedAtKill;
      if (during > 0) throw new VerifyError(`${during} adds were acknowledged with ${names} down: a minority served writes`);
      return `${ackedAtKill} adds acknowledged before; none between ${seconds(SETTLE_MS)} and ${seconds(OUTAGE_MS)} after the SIGKILLs (the add in flight retries with its idempotency key)`;
    });
    await ctx.step(`restart ${names} on their data: the cluster recovers by itself`, async () => {
      restartedAt = Date.now();
      await Promise.all(
        victims.map(async (n) => {
          await local.restart(n.ordinal, ctx.deadline.within(30_000));
          session.services.containerStarted(n.name);
        }),
      );
      await session.partitionsLed(RECOVERY_BOUND_MS);
      recoveryMs = Date.now() - restartedAt;
      const acked = counter.acknowledged;
      while (counter.acknowledged === acked && Date.now() - restartedAt < RECOVERY_BOUND_MS) await sleep(20);
      firstAckAfterRestartMs = Date.now() - restartedAt;
      return `every partition led ${seconds(recoveryMs)} after the restart, the next add answered after ${seconds(firstAckAfterRestartMs)}, no step run by hand`;
    });
    await ctx.step(`${ADDS_AFTER} more adds, then the writer stops`, async () => {
      const target = counter.acknowledged + ADDS_AFTER;
      while (counter.acknowledged < target && !ctx.deadline.expired()) await sleep(20);
      stats = await writer.stop();
      return `${stats.writes} adds by the writer, ${stats.retriedWrites} retried (${stats.failedAttempts} failed attempts), slowest ${seconds(stats.slowestMs)}`;
    });
  } catch (error) {
    await writer.stop().catch(() => undefined);
    throw error;
  }
  await ctx.step('no acknowledged write lost or applied twice', async () => counter.verify(ctx.deadline.within(30_000)));
  await session.statusExitsZero(' after the recovery');
  return {
    figures: [
      { name: 'nodes SIGKILLed', value: `${victims.length} of ${replicas}` },
      { name: 'outage held', value: Number((OUTAGE_MS / 1000).toFixed(1)), unit: 's' },
      { name: 'restart to every partition led', value: Number((recoveryMs / 1000).toFixed(1)), unit: 's' },
      { name: 'restart to the next acknowledged add', value: Number((firstAckAfterRestartMs / 1000).toFixed(1)), unit: 's' },
      {
        name: 'SIGKILL to the next acknowledged add',
        value: Number(((restartedAt - killedAt + firstAckAfterRestartMs) / 1000).toFixed(1)),
        unit: 's',
      },
      { name: 'adds retried', value: stats.retriedWrites },
      { name: 'failed attempts', value: stats.failedAttempts },
      { name: 'acknowledged adds in total', value: counter.acknowledged },
    ],
    consequence:
      'nothing to automate: pods restarted onto their PVCs bring the cluster back by itself; the stack never deletes PVCs of a crashed pod, ' +
      'and clients must retry with idempotency keys (a timed-out write may or may not have been applied until its retry answers)',
  };
}
