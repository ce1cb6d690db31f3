import { activeLeaders } from '../cluster-checks';
import { READINESS } from '../cluster-service';
import { pollUntil, sleep } from '../deadline';
import { seconds } from '../live-session';
import type { Scenario, ScenarioContext, ScenarioFigure } from './scenario';
import type { WriterStats } from './counter-client';

/** One write attempt's time limit (the counter client's). */
const ATTEMPT_SECONDS = 5;

/** What one roll did to the cluster while a client wrote. */
interface RollOutcome {
  readonly rollMs: number;
  /** From the first SIGTERM until every partition had an active leader on a running node again, after the last pod. */
  readonly recoveredMs: number;
  /** Most partitions without an active leader at one look. */
  readonly maxLeaderless: number;
  /** Time during which at least one partition had no active leader. */
  readonly leaderlessMs: number;
  readonly looks: number;
  readonly unanswered: number;
  readonly writes: WriterStats;
  /** Per pod: how long its SIGTERM took, and from its start until the gate let the roll go on. */
  readonly pods: readonly string[];
}

/** Looks at the leaders about once a second while a roll runs: the most leaderless partitions, and for how long. */
function watchLeaders(ctx: ScenarioContext): { stop(): Promise<{ max: number; leaderlessMs: number; looks: number; unanswered: number }> } {
  const partitions = ctx.session.expected.partitions;
  let running = true;
  let max = 0;
  let leaderlessMs = 0;
  let looks = 0;
  let unanswered = 0;
  const loop = (async () => {
    let last = Date.now();
    let lastLeaderless = false;
    while (running) {
      let leaderless: number;
      try {
        const leaders = await activeLeaders(ctx.ctl, ctx.local.steadyAddresses());
        const down = ctx.session.downNodes();
        leaderless = 0;
        for (let id = 0; id < partitions; id++) if (!(leaders.get(id) ?? []).some((n) => !down.has(n))) leaderless++;
      } catch {
        // restatectl got no answer (a node going away): this look tells nothing
        unanswered++;
        await sleep(500);
        continue;
      }
      const now = Date.now();
      if (lastLeaderless) leaderlessMs += now - last;
      last = now;
      lastLeaderless = leaderless > 0;
      max = Math.max(max, leaderless);
      looks++;
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { max, leaderlessMs, looks, unanswered };
    },
  };
}

/**
 * Restarts every pod once, highest ordinal first, as the StatefulSet controller rolls a changed pod template:
 * delete the pod (SIGTERM, the Service drops it), start it again on its volume, and go on to the next once
 * `gate` says so. A client writes throughout; the leaders are watched.
 */
async function roll(ctx: ScenarioContext, gate: (ordinal: number) => Promise<void>): Promise<RollOutcome> {
  const { local, session } = ctx;
  const writer = ctx.counter.startWriter(ctx.deadline);
  const watcher = watchLeaders(ctx);
  await sleep(1000);
  const t = Date.now();
  const running = local.nodes.filter((n) => local.isRunning(n.ordinal));
  const pods: string[] = [];
  for (const node of [...running].reverse()) {
    session.services.containerStopping(node.name);
    const stopAt = Date.now();
    await local.terminate(node.ordinal);
    const startAt = Date.now();
    await local.restart(node.ordinal, ctx.deadline.within(30_000));
    session.services.containerStarted(node.name);
    await gate(node.ordinal);
    pods.push(`${node.name} stopped in ${seconds(startAt - stopAt)}, next pod ${seconds(Date.now() - startAt)} after its start`);
  }
  const rollMs = Date.now() - t;
  await session.partitionsLed(120_000);
  const recoveredMs = Date.now() - t;
  await sleep(1000);
  const [writes, leaders] = [await writer.stop(), await watcher.stop()];
  return {
    rollMs,
    recoveredMs,
    maxLeaderless: leaders.max,
    leaderlessMs: leaders.leaderlessMs,
    looks: leaders.looks,
    unanswered: leaders.unanswered,
    writes,
    pods,
  };
}

function describe(r: RollOutcome, partitions: number): string {
  return (
    `rolled in ${seconds(r.rollMs)} (${r.pods.join('; ')}), every partition led again ${seconds(r.recoveredMs)} after the first SIGTERM; ` +
    `up to ${r.maxLeaderless}/${partitions} partitions without an active leader, some leaderless for ${seconds(r.leaderlessMs)} (${r.looks} looks, ${r.unanswered} unanswered); ` +
    `${r.writes.writes} writes, ${r.writes.failedAttempts} failed attempts (${r.writes.retriedWrites} writes retried), slowest ${seconds(r.writes.slowestMs)}`
  );
}

function figuresOf(label: string, r: RollOutcome): ScenarioFigure[] {
  return [
    { name: `${label}: roll`, value: (r.rollMs / 1000).toFixed(1), unit: 's' },
    { name: `${label}: every partition led again after`, value: (r.recoveredMs / 1000).toFixed(1), unit: 's' },
    { name: `${label}: most partitions without a leader`, value: r.maxLeaderless },
    { name: `${label}: time with a leaderless partition`, value: (r.leaderlessMs / 1000).toFixed(1), unit: 's' },
    { name: `${label}: writes`, value: r.writes.writes },
    { name: `${label}: failed write attempts (${ATTEMPT_SECONDS} s each)`, value: r.writes.failedAttempts },
    { name: `${label}: slowest write`, value: (r.writes.slowestMs / 1000).toFixed(1), unit: 's' },
  ];
}

export const rollingRestart: Scenario = {
  name: 'rolling-restart',
  summary:
    "every pod restarted once as the StatefulSet rolls: gated on /health (operator 1.7.4) vs on partition health (the stack's waits)",
  budgetSeconds: 540,
  async run(ctx) {
    const { session } = ctx;
    const partitions = session.expected.partitions;
    const figures: ScenarioFigure[] = [];
    // The kubelet probes /health on 9070 from the container's start (no initial delay at operator 1.7.4), then
    // every 10 s; the StatefulSet controller moves on once the pod is Ready.
    const podReady = async (ordinal: number): Promise<void> => {
      const name = ctx.local.nodes[ordinal].name;
      await pollUntil(
        `${name} Ready (readiness probe ${READINESS.path} on ${READINESS.port})`,
        ctx.deadline.within(60_000),
        100,
        async () => (session.services.ready().includes(name) ? { done: true, value: undefined } : { done: false, reason: 'not Ready yet' }),
      );
    };
    let health: RollOutcome | undefined;
    await ctx.step(
      `roll gated on /health as the StatefulSet does under operator 1.7.4 (readiness ${READINESS.path}, no initial delay)`,
      async () => {
        health = await roll(ctx, podReady);
        figures.push(...figuresOf('/health-gated', health));
        return describe(health, partitions);
      },
    );
    let gated: RollOutcome | undefined;
    await ctx.step(
      "roll gated on partition health (every partition led by a running node, then the next pod), as the stack's waits gate",
      async () => {
        gated = await roll(ctx, async (ordinal) => {
          await podReady(ordinal);
          await session.partitionsLed(120_000);
        });
        figures.push(...figuresOf('partition-health-gated', gated));
        // What the gate guarantees by construction: no pod is stopped while a partition is without a leader (the
        // wait above fails the step otherwise). Partitions led by the pod being stopped still fail over.
        return describe(gated, partitions);
      },
    );
    await ctx.step('no acknowledged write lost or applied twice', async () => ctx.counter.verify(ctx.deadline.within(60_000)));
    return {
      figures,
      consequence:
        'operator 1.7.4 gates its rolls on /health only: synth warns on every pod-template change (config, image, CR labels or annotations) that it rolls all pods ' +
        'and risks this unavailability; promote waits for every partition to have an active leader (provision.sh --wait-serving in restate-0) after the rollout, not for Ready alone',
    };
  },
};
