import { DRAIN_SCRIPT_PATH, drainScriptArgs } from '../../stack/day-two/drain-script';
import { pollUntil } from '../deadline';
import { VerifyError } from '../errors';
import { seconds } from '../live-session';
import { lastLine, plain, runCommand } from '../restatectl';
import type { Scenario, ScenarioContext, ScenarioFigure } from './scenario';

/** Nodes removed: 5 → 3 on prod/vultr (replication 3 still fits on the 3 that stay). */
const REMOVED = 2;
const ADDS = 10;
/** Bound of the drain script (it waits for each node's partitions to move, ~20 s each measured). */
const DRAIN_DEADLINE_SECONDS = 180;

/** The metadata cluster's members by node name (`SELECT name FROM nodes WHERE metadata_server_state = 'member'`). */
async function metadataMembers(ctx: ScenarioContext): Promise<string[]> {
  const rows = await ctx.ctl.sql<{ name: string; metadata_server_state: string }>(
    ctx.local.liveAddresses(),
    'SELECT name, metadata_server_state FROM nodes',
  );
  return rows
    .filter((r) => r.metadata_server_state === 'member')
    .map((r) => r.name)
    .sort();
}

/** Seconds the drain script reported per step, e.g. `restate-4 (N5): worker drained, in no replica set (18s)`. */
function stepTimes(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => /^drain: restate-\d+ \(N\d+\): .*\(\d+s\)$/.test(l))
    .map((l) => l.replace(/^drain: /, ''));
}

export const scaleIn: Scenario = {
  name: 'scale-in',
  summary: `replicas −${REMOVED}: the drain Job's drain.sh (worker draining, storage read-only, metadata remove-node), then the pods stop and their volumes go`,
  budgetSeconds: 300,
  refuse: ({ replicas, replication }) =>
    replicas - REMOVED < Math.max(3, replication)
      ? `it removes ${REMOVED} of ${replicas} pods, leaving fewer than ${Math.max(3, replication)} ` +
        `(replication ${replication}, and a Raft metadata majority that survives a node); ` +
        `run it on a target with at least ${Math.max(3, replication) + REMOVED} replicas (prod/vultr)`
      : undefined,
  async run(ctx) {
    const { local, session, counter } = ctx;
    const from = session.cluster.replicas;
    const to = from - REMOVED;
    const leaving = local.nodes.slice(to, from);
    const figures: ScenarioFigure[] = [];
    await ctx.step(`${ADDS} adds through the SDK counter before the change`, async () => {
      await counter.addMany(ADDS, ctx.deadline.within(60_000));
      return `answered ${counter.acknowledged}`;
    });
    const args = drainScriptArgs({
      from,
      to,
      address: local.nodes[0].address,
      deadlineSeconds: DRAIN_DEADLINE_SECONDS,
      intervalSeconds: 1,
    });
    const drain = () =>
      runCommand('sh', [DRAIN_SCRIPT_PATH, ...args], {
        env: session.env,
        timeoutMs: Math.min(ctx.deadline.remainingMs(), (DRAIN_DEADLINE_SECONDS + 10) * 1000),
      });
    await ctx.step(
      `the drain Job's script drains ${leaving
        .map((n) => n.name)
        .reverse()
        .join(', ')} one at a time (sh drain.sh ${args.join(' ')}) while a client writes`,
      async () => {
        const writer = counter.startWriter(ctx.deadline);
        const run = await drain();
        const stats = await writer.stop();
        const out = plain(run.stdout + run.stderr);
        if (run.code !== 0) throw new VerifyError(`drain.sh exited ${run.code ?? 'killed'} after ${seconds(run.ms)}:\n${out.trim()}`);
        figures.push(
          { name: 'drain of both nodes', value: (run.ms / 1000).toFixed(1), unit: 's' },
          { name: 'writes during the drain', value: stats.writes },
          { name: 'failed write attempts during the drain', value: stats.failedAttempts },
          { name: 'slowest write during the drain', value: (stats.slowestMs / 1000).toFixed(1), unit: 's' },
        );
        return `${seconds(run.ms)}: ${stepTimes(out).join('; ')}; meanwhile ${stats.writes} writes, ${stats.failedAttempts} failed attempts, slowest ${seconds(stats.slowestMs)}`;
      },
    );
    await ctx.step('the drain again: every step already done (idempotent, a re-synced Job)', async () => {
      const run = await drain();
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0) throw new VerifyError(`drain.sh the second time exited ${run.code}:\n${out.trim()}`);
      if (/set-worker-state|set-storage-state|remove-node failed/.test(out) || out.includes('waiting for'))
        throw new VerifyError(`drain.sh the second time did more than look:\n${out.trim()}`);
      return `${seconds(run.ms)}: ${lastLine(out)}`;
    });
    const members = await metadataMembers(ctx);
    await ctx.step(`the metadata cluster has the ${to} staying pods as members`, async () => {
      const want = local.nodes
        .slice(0, to)
        .map((n) => n.name)
        .sort();
      if (members.join(',') !== want.join(','))
        throw new VerifyError(`metadata members are ${members.join(', ')}, expected ${want.join(', ')}`);
      return members.join(', ');
    });
    let servedMs = 0;
    await ctx.step(
      `the commit with replicas: ${to}: the StatefulSet stops ${leaving
        .map((n) => n.name)
        .reverse()
        .join(', ')} (SIGTERM) and their PVCs are deleted; the cluster serves`,
      async () => {
        const writer = counter.startWriter(ctx.deadline);
        const t = Date.now();
        const ends: string[] = [];
        for (const node of [...leaving].reverse()) {
          session.services.containerStopping(node.name);
          const stopAt = Date.now();
          ends.push(`${node.name} ${await local.terminate(node.ordinal)} after ${seconds(Date.now() - stopAt)}`);
          local.removeData(node.ordinal);
        }
        servedMs = await session.partitionsLed(60_000);
        const status = await ctx.ctl.run(local.liveAddresses(), ['status']);
        if (status.code !== 0) throw new VerifyError(`restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
        await sleepWhileWriting(3000);
        const stats = await writer.stop();
        figures.push(
          { name: 'every partition led after the pods stopped', value: (servedMs / 1000).toFixed(1), unit: 's' },
          { name: 'failed write attempts while the pods stopped', value: stats.failedAttempts },
        );
        return (
          `${ends.join(', ')}; volumes removed; every partition led by a running node ${seconds(servedMs)} after the last stop, ` +
          `restatectl status exits 0; ${stats.writes} writes meanwhile, ${stats.failedAttempts} failed attempts (${Date.now() - t} ms)`
        );
      },
    );
    await ctx.step(`${ADDS} adds on ${to} nodes`, async () => {
      await counter.addMany(ADDS, ctx.deadline.within(60_000));
      return `answered ${counter.acknowledged}`;
    });
    await ctx.step('every partition still led, no acknowledged write lost or applied twice', async () => {
      await pollUntil('every partition led', ctx.deadline.within(30_000), 500, async () => ({
        done: true,
        value: await session.partitionsLed(30_000),
      }));
      return counter.verify(ctx.deadline.within(60_000));
    });
    return {
      figures,
      consequence:
        `synth emits the drain Job <cluster>-drain-${from}-to-${to} (this drain.sh) while values scaleIn is set, and refuses replicas ${from} → ${to} unless the committed target holds it; ` +
        "promote waits for it, and after the commit that lowers replicas deletes the removed pods' PVCs (the user's kubectl rights; under GitOps the user runs the printed kubectl delete pvc)",
    };
  },
};

function sleepWhileWriting(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
