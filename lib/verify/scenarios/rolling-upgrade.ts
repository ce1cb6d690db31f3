import { binaryVersion } from '../binaries';
import { pollUntil } from '../deadline';
import { VerifyError } from '../errors';
import { seconds } from '../live-session';
import { lastLine, plain } from '../restatectl';
import type { WriterStats } from './counter-client';
import { nodeRow, probeNodeBack } from './node-health';
import type { Scenario, ScenarioContext, ScenarioFigure, ScenarioOutcome } from './scenario';

/** Adds acknowledged before the roll starts. */
const ADDS_BEFORE = 10;
/** Bound on one node's way back (SIGTERM, start on the new binary, partition health). */
const NODE_BOUND_MS = 60_000;
/** Bound on one add with its retries while the roll runs. */
const ADD_BOUND_MS = 60_000;

/**
 * A rolling upgrade 1.5.3 → 1.6.1 → 1.7.12 on the same data: the cluster starts from the target's shipped
 * config on 1.5.3 and is provisioned there (by the npm restatectl 1.7.12), then each pod in turn gets SIGTERM and
 * starts on the next minor's binary on its own data (as the StatefulSet rolls a new image), the next one only
 * once the restarted node is back and every partition is led; the counter writes all along.
 */
export const rollingUpgrade: Scenario = {
  name: 'rolling-upgrade',
  summary:
    'restate-server 1.5.3 → 1.6.1 → 1.7.12 node by node on the same data, gated on partition health; it keeps serving, no acknowledged write lost or doubled',
  budgetSeconds: 300,
  serverVersions: ['1.5.3', '1.6.1', '1.7.12'],
  refuse: ({ replicas, replication }) =>
    replicas - 1 < replication
      ? `with one of ${replicas} pods down a replication of ${replication} cannot be met, so a rolling change cannot keep serving`
      : undefined,
  run: runRollingUpgrade,
};

async function runRollingUpgrade(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { local, ctl, counter, session, servers } = ctx;
  const [first, ...later] = servers;
  const partitions = session.expected.partitions;
  const figures: ScenarioFigure[] = [];
  const versionOf = new Map(local.nodes.map((n) => [n.ordinal, first.version]));
  const layout = (): string =>
    local.nodes
      .filter((n) => versionOf.has(n.ordinal) && n.ordinal < session.cluster.replicas)
      .map((n) => `${n.name} ${versionOf.get(n.ordinal)}`)
      .join(', ');

  await ctx.step(`restatectl ${ctlVersion(session)} against the ${first.version} cluster it provisioned`, async () => {
    const status = await ctl.run(local.liveAddresses(), ['status']);
    if (status.code !== 0)
      throw new VerifyError(`restatectl status exits ${status.code} against ${first.version}: ${lastLine(status.stderr || status.stdout)}`);
    const nodes = plain(status.stdout)
      .split('\n')
      .filter((l) => /restate-\d+/.test(l)).length;
    return `provisioning through provision.sh worked (step above); restatectl status exits 0 and lists ${nodes} nodes`;
  });
  await ctx.step(`${ADDS_BEFORE} adds through the counter on ${first.version}`, async () => {
    await counter.addMany(ADDS_BEFORE, ctx.deadline.within(ADD_BOUND_MS));
    return `${counter.acknowledged} acknowledged`;
  });

  const writer = counter.startWriter(ctx.deadline.within(ctx.deadline.remainingMs()));
  const rollStarted = Date.now();
  let slowestNodeMs = 0;
  try {
    for (const next of later) {
      const waveStarted = Date.now();
      for (const node of local.nodes.slice(0, session.cluster.replicas)) {
        const from = versionOf.get(node.ordinal);
        await ctx.step(`${node.name}: ${from} → ${next.version} on its data (SIGTERM, start, wait for partition health)`, async () => {
          const before = (await nodeRow(ctl, local.liveAddresses(), node.name))?.gen_node_id;
          const t = Date.now();
          const stopped = await local.terminate(node.ordinal);
          const stoppedMs = Date.now() - t;
          await local.restart(node.ordinal, ctx.deadline.within(30_000), { serverBinary: next.path });
          session.services.containerStarted(node.name);
          versionOf.set(node.ordinal, next.version);
          const back = await pollUntil(
            `${node.name} on ${next.version} back with its partitions`,
            ctx.deadline.within(NODE_BOUND_MS),
            250,
            () =>
              probeNodeBack(ctl, local.liveAddresses(), { name: node.name, partitions, minPartitions: 1, ...(before ? { before } : {}) }),
          );
          const ms = Date.now() - t;
          slowestNodeMs = Math.max(slowestNodeMs, ms);
          return `${stopped} after ${seconds(stoppedMs)}; ${back} ${seconds(ms)} after the SIGTERM; now ${layout()}; ${counter.acknowledged} adds acknowledged so far`;
        });
        if (node.ordinal === 0) {
          await ctx.step(`mixed versions (${layout()}): restatectl status exits 0`, async () => {
            const status = await ctl.run(local.liveAddresses(), ['status']);
            if (status.code !== 0)
              throw new VerifyError(`restatectl status exits ${status.code} with ${layout()}: ${lastLine(status.stderr || status.stdout)}`);
            return 'yes';
          });
        }
      }
      figures.push({ name: `roll to ${next.version}`, value: Number(((Date.now() - waveStarted) / 1000).toFixed(1)), unit: 's' });
    }
  } catch (error) {
    // Stop the writer also when a step failed, so that its loop does not outlive the run.
    await writer.stop().catch(() => undefined);
    throw error;
  }
  const rollMs = Date.now() - rollStarted;
  let stats: WriterStats = { writes: 0, failedAttempts: 0, retriedWrites: 0, slowestMs: 0, disturbedMs: 0 };
  await ctx.step('no acknowledged write lost or applied twice', async () => {
    stats = await writer.stop();
    return counter.verify(ctx.deadline.within(ADD_BOUND_MS));
  });
  await ctx.step(`every node on ${servers[servers.length - 1].version}: restatectl status exits 0, every partition led`, async () => {
    const status = await ctl.run(local.liveAddresses(), ['status']);
    if (status.code !== 0) throw new VerifyError(`restatectl status exits ${status.code}: ${lastLine(status.stderr || status.stdout)}`);
    await session.partitionsLed(30_000);
    return layout();
  });
  figures.push(
    { name: 'whole roll', value: Number((rollMs / 1000).toFixed(1)), unit: 's' },
    { name: 'slowest node (SIGTERM to partition health)', value: Number((slowestNodeMs / 1000).toFixed(1)), unit: 's' },
    { name: 'adds during the roll', value: stats.writes },
    { name: 'adds retried during the roll', value: stats.retriedWrites },
    { name: 'failed attempts (timed out, refused, not 200)', value: stats.failedAttempts },
    { name: 'slowest add, retries included', value: Number((stats.slowestMs / 1000).toFixed(1)), unit: 's' },
    { name: 'acknowledged adds in total', value: counter.acknowledged },
  );
  return {
    figures,
    consequence:
      'synth refuses an image change that skips a minor version or goes back (1.4 → 1.6, 1.7 → 1.6) against the committed target; ' +
      "one minor at a time the StatefulSet's roll is safe on these versions, with the stack's waits gated on partition health, not /health",
  };
}

function ctlVersion(session: ScenarioContext['session']): string {
  try {
    return binaryVersion(session.input.binaries.restatectl);
  } catch {
    return '(npm)';
  }
}
