import { probeLeaders } from '../cluster-checks';
import { pollUntil } from '../deadline';
import { VerifyError } from '../errors';
import { seconds } from '../live-session';
import { lastLine, plain } from '../restatectl';
import type { Scenario, ScenarioContext, ScenarioFigure } from './scenario';

/** Adds before the change, and after each part of it. */
const ADDS = 10;
/** Nodes added: 3 → 5, as a `replicas` change makes the StatefulSet create restate-3 and restate-4. */
const ADDED = 2;

const compact = (s: string | null | undefined): string => (s ?? '').replace(/\s+/g, '');

/** Each log's newest segment and its replication. */
async function newestSegments(ctx: ScenarioContext): Promise<{ log_id: number; replication: string | null }[]> {
  const rows = await ctx.ctl.sql<{ log_id: number; segment_index: number; replication: string | null }>(
    ctx.local.liveAddresses(),
    'SELECT log_id, segment_index, replication FROM logs',
  );
  const newest = new Map<number, { log_id: number; segment_index: number; replication: string | null }>();
  for (const r of rows) if ((newest.get(r.log_id)?.segment_index ?? -1) < r.segment_index) newest.set(r.log_id, r);
  return [...newest.values()];
}

interface MemberRow {
  readonly name: string;
}

/** The names the metadata cluster lists as members, from `restatectl metadata-server list-servers` and `nodes list`. */
async function metadataMembers(ctx: ScenarioContext): Promise<string[]> {
  const addresses = ctx.local.liveAddresses();
  const nodes = await ctx.ctl.run(addresses, ['nodes', 'list']);
  if (nodes.code !== 0) throw new Error(`restatectl nodes list: ${lastLine(nodes.stderr || nodes.stdout)}`);
  const names = new Map<string, string>();
  for (const line of nodes.stdout.split('\n')) {
    const [id, gen, name] = line.trim().split(/\s+/);
    if (/^N\d+$/.test(id ?? '') && /^\d+$/.test(gen ?? '')) names.set(id, name);
  }
  const servers = await ctx.ctl.run(addresses, ['metadata-server', 'list-servers']);
  if (servers.code !== 0) throw new Error(`restatectl metadata-server list-servers: ${lastLine(servers.stderr || servers.stdout)}`);
  const members: MemberRow[] = [];
  for (const line of servers.stdout.split('\n')) {
    const [id, status] = line.trim().split(/\s+/);
    if (/^N\d+$/.test(id ?? '') && status === 'Member') members.push({ name: names.get(id) ?? id });
  }
  return members.map((m) => m.name).sort();
}

export const scaleOut: Scenario = {
  name: 'scale-out',
  summary: 'replicas +2: new pods join by themselves; replication +1 by provision.sh --ensure-replication, a no-op the second time',
  budgetSeconds: 240,
  capacity: (replicas) => replicas + ADDED,
  refuse: ({ replicas }) =>
    replicas + ADDED > 9 ? `the scenario adds ${ADDED} pods to ${replicas}; verify runs at most 9 local nodes` : undefined,
  async run(ctx) {
    const { local, session, counter } = ctx;
    const from = local.nodes.filter((n) => local.isRunning(n.ordinal)).length;
    const added = local.nodes.slice(from, from + ADDED);
    const figures: ScenarioFigure[] = [];
    await ctx.step(`${ADDS} adds through the SDK counter before the change`, async () => {
      await counter.addMany(ADDS, ctx.deadline.within(60_000));
      return `answered ${counter.acknowledged}`;
    });
    let joinedMs = 0;
    await ctx.step(
      `the StatefulSet starts ${added.map((n) => n.name).join(', ')} on empty volumes: they join the metadata cluster by themselves`,
      async () => {
        const t = Date.now();
        for (const node of added) {
          await local.restart(node.ordinal, ctx.deadline.within(30_000));
          session.services.containerStarted(node.name);
        }
        const want = local.nodes
          .slice(0, from + ADDED)
          .map((n) => n.name)
          .sort();
        const members = await pollUntil(
          `all ${want.length} pods members of the metadata cluster`,
          ctx.deadline.within(60_000),
          500,
          async () => {
            const m = await metadataMembers(ctx);
            return want.every((name) => m.includes(name)) ? { done: true, value: m } : { done: false, reason: `members: ${m.join(', ')}` };
          },
        );
        joinedMs = Date.now() - t;
        figures.push(
          { name: 'metadata members after the scale-out', value: members.length },
          { name: 'new pods metadata members after', value: (joinedMs / 1000).toFixed(1), unit: 's' },
        );
        return `members ${members.join(', ')} ${seconds(joinedMs)} after the new pods started; no step was needed`;
      },
    );
    await ctx.step('the new pods lead partitions, every partition led', async () => {
      const t = Date.now();
      const leaders = await pollUntil('partitions led by the new pods', ctx.deadline.within(90_000), 1000, async () => {
        const probe = await probeLeaders(ctx.ctl, local.liveAddresses(), session.expected.partitions);
        if (!probe.done) return probe;
        const led = added.map((n) => [...probe.value.values()].filter((names) => names.includes(n.name)).length);
        return led.every((c) => c > 0)
          ? { done: true, value: led }
          : { done: false, reason: `partitions led by ${added.map((n, i) => `${n.name}: ${led[i]}`).join(', ')}` };
      });
      figures.push({ name: 'new pods leading partitions after', value: ((Date.now() - t + joinedMs) / 1000).toFixed(1), unit: 's' });
      return `${added.map((n, i) => `${n.name} leads ${leaders[i]}`).join(', ')} (${seconds(Date.now() - t)} after joining)`;
    });
    await ctx.step(`${ADDS} adds after the scale-out`, async () => {
      await counter.addMany(ADDS, ctx.deadline.within(60_000));
      return `answered ${counter.acknowledged}`;
    });
    const wanted = session.expected.replicaSetSize + 1;
    await ctx.step(`the replication step: provision.sh --ensure-replication ${wanted} sets it (restatectl config set)`, async () => {
      const run = await session.runProvisionScript({ ensureReplication: wanted, replicas: from + ADDED });
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0 || !out.includes(`replication: done: logs and partitions replicated {node: ${wanted}}`))
        throw new VerifyError(`provision.sh --ensure-replication ${wanted} exited ${run.code}:\n${out.trim()}`);
      return out
        .split('\n')
        .filter((l) => l.includes('replication:'))
        .join(' / ');
    });
    await ctx.step(`Restate moves to {node: ${wanted}}: every partition's replica set, and the logs' newest segments`, async () => {
      const t = Date.now();
      const sets = await pollUntil(
        `every partition with ${wanted} nodes in its replica set`,
        ctx.deadline.within(90_000),
        1000,
        async () => {
          const rows = await ctx.ctl.sql<{ partition_id: number; current_replica_set: string | null }>(
            local.liveAddresses(),
            'SELECT partition_id, current_replica_set FROM partitions',
          );
          const short = rows.filter((r) => (r.current_replica_set ?? '').split(',').filter(Boolean).length < wanted).length;
          return short === 0 && rows.length === session.expected.partitions
            ? { done: true, value: rows.length }
            : { done: false, reason: `${short} of ${rows.length} partitions with fewer than ${wanted} nodes in their replica set` };
        },
      );
      const partitionsMs = Date.now() - t;
      const logs = await newestSegments(ctx);
      const moved = logs.filter((l) => compact(l.replication) === `{node:${wanted}}`).length;
      figures.push(
        { name: `partitions with ${wanted} replicas after the replication step`, value: (partitionsMs / 1000).toFixed(1), unit: 's' },
        { name: `logs whose newest segment is replicated {node: ${wanted}} then`, value: `${moved}/${logs.length}` },
      );
      return (
        `${sets} partitions with ${wanted} nodes in their replica set ${seconds(partitionsMs)} after the step; ` +
        `${moved} of ${logs.length} logs have a newest segment replicated {node: ${wanted}} ` +
        '(older segments keep theirs until trimmed; a log moves when it is next resealed)'
      );
    });
    await ctx.step(`the replication step again: a no-op`, async () => {
      const run = await session.runProvisionScript({ ensureReplication: wanted, replicas: from + ADDED });
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 0 || !out.includes('as wanted: nothing to change') || out.includes('restatectl config set)'))
        throw new VerifyError(`provision.sh --ensure-replication ${wanted} the second time exited ${run.code}:\n${out.trim()}`);
      return out
        .split('\n')
        .filter((l) => l.includes('replication:'))
        .join(' / ');
    });
    const tooMany = from + ADDED + 1;
    await ctx.step(`the replication step refuses {node: ${tooMany}} on ${from + ADDED} nodes`, async () => {
      const run = await session.runProvisionScript({ ensureReplication: tooMany, replicas: from + ADDED });
      const out = plain(run.stdout + run.stderr);
      if (run.code !== 1 || !out.includes(`needs ${tooMany} nodes, the cluster has ${from + ADDED}`))
        throw new VerifyError(`provision.sh --ensure-replication ${tooMany} exited ${run.code}:\n${out.trim()}`);
      const config = await ctx.ctl.run(local.liveAddresses(), ['config', 'get']);
      if (!plain(config.stdout).includes(`Log replication: {node: ${wanted}}`))
        throw new VerifyError(`after the refusal the config is no longer {node: ${wanted}}:\n${plain(config.stdout)}`);
      return `exit 1: ${lastLine(out)}; the cluster keeps {node: ${wanted}}`;
    });
    await ctx.step(`${ADDS} adds after the replication change`, async () => {
      await counter.addMany(ADDS, ctx.deadline.within(60_000));
      return `answered ${counter.acknowledged}`;
    });
    await ctx.step('no acknowledged write lost or applied twice', async () => counter.verify(ctx.deadline.within(60_000)));
    return {
      figures,
      consequence:
        'new pods need no step; replication does not follow the config after provisioning, so the provisioning Job and `mise run provision` ' +
        'run provision.sh --ensure-replication <restate.defaultReplication>: restatectl config set when it differs, nothing when it does not, a refusal when the nodes cannot hold it',
    };
  },
};
