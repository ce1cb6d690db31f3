/**
 * Runs inside the verify sandbox (loopback only) for test/alerts/live-alerts.live.test.ts: a real 3-node Restate
 * cluster, provisioned as the Job does, scraped by a real Prometheus (Debian's) that loads the synthesized rules,
 * with the scrape job verify derives from the synthesized PodMonitor. In the healthy phase it evaluates the
 * dashboard's queries; then it injects the faults one after the other, each held until the alerts it awaits fire
 * and followed by the recovery the docs prescribe, until no alert is active. A sampler records every alert's state
 * once a second from the Prometheus API all along.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DATA_LOSS_LOG, nodeIdOf, nodeIdQuery, recoverSteps, type SqlRow } from '../../lib/stack/day-two/recover-steps';
import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../../lib/stack/provisioning/script';
import { ADMIN_PORT, clusterPodLabels, FABRIC_PORT, INGRESS_PORT, RESTATE_CONTAINER } from '../../lib/target-folder/operator-names';
import type { RestateBinaries } from '../../lib/verify/binaries';
import type { ClusterUnderTest } from '../../lib/verify/cluster-spec';
import { type Deadline, pollUntil, sleep } from '../../lib/verify/deadline';
import { type IsolatedContext, isolatedMain } from '../../lib/verify/isolated-main';
import { LocalCluster, type LocalNode, logTail } from '../../lib/verify/local-cluster';
import { describeExit, ManagedProcess } from '../../lib/verify/managed-process';
import { type PodMonitorSpec, prometheusConfig } from '../../lib/verify/prometheus-config';
import { Restatectl, runCommand } from '../../lib/verify/restatectl';
import { majorityOf } from '../../lib/verify/scenarios/majority-loss';
import { dataLossLine, describeStep, runRecoverStep } from '../../lib/verify/scenarios/volume-loss';

/** The faults, as verify's scenarios inject them (lib/verify/scenarios/). */
export type FaultKind = 'node-kill' | 'majority-loss' | 'volume-loss';

export interface FaultPlan {
  readonly kind: FaultKind;
  /** The fault is held until these alerts fire (bounded by `holdBoundSeconds`), then the recovery starts. */
  readonly awaitFiring: readonly string[];
}

export interface LiveAlertsInput {
  readonly cluster: ClusterUnderTest;
  readonly binaries: RestateBinaries;
  /** The rule groups to load (the synthesized PrometheusRule's spec.groups, `for:` shortened by the test). */
  readonly groups: unknown[];
  /** The synthesized PodMonitor, read: the scrape job is derived from it as verify derives its Prometheus pod's. */
  readonly podMonitor: PodMonitorSpec;
  readonly scrapeSeconds: number;
  /** How long the healthy cluster is watched before the first fault (every rule's window filled). */
  readonly quietSeconds: number;
  /** PromQL queries to evaluate once at the end of the healthy phase (the dashboard's panels). */
  readonly queries: readonly string[];
  readonly faults: readonly FaultPlan[];
  /** Bound on holding a fault until its alerts fire. */
  readonly holdBoundSeconds: number;
  /** After the recovery: no alert active for this long ends the fault. */
  readonly settleSeconds: number;
  /** Bound on the recovery's settling. */
  readonly settleBoundSeconds: number;
}

export type AlertState = 'pending' | 'firing';

/** One look at the Prometheus API: seconds since the first look, and each active alert's state. */
export interface AlertSample {
  readonly t: number;
  readonly alerts: Record<string, AlertState>;
  /** While an alert is active: the targets down with their scrape error, and the failure detectors' dead counts. */
  readonly why?: string;
}

/** One panel query's result in the healthy phase. */
export interface QueryResult {
  readonly expr: string;
  /** `success`, or Prometheus's error. */
  readonly status: string;
  readonly series: number;
  /** Each series' value, rounded, with its labels shortened to `pod` where it has one. */
  readonly values: readonly string[];
}

/** What happened in one fault, on the samples' clock (seconds since the first sample). */
export interface FaultRecord {
  readonly kind: FaultKind;
  readonly victims: readonly string[];
  /** When the fault was injected. */
  readonly at: number;
  /** When the awaited alerts were all seen firing (undefined: not within the bound). */
  readonly awaitedFiringAt?: number;
  /** When the recovery (restart, or the recover steps) started and when it was done. */
  readonly recoveryAt: number;
  readonly recoveredAt: number;
  /** When no alert had been active for `settleSeconds` (undefined: not within the bound). */
  readonly settledAt?: number;
  /** What was done and seen, in order, for the report. */
  readonly steps: readonly string[];
  /** Volume loss: how the node started on an empty folder ended, and its data-loss line. */
  readonly emptyStart?: { readonly exit: string; readonly line?: string };
}

export interface LiveAlertsRecord {
  readonly queries: readonly QueryResult[];
  readonly faults: readonly FaultRecord[];
  readonly samples: readonly AlertSample[];
  readonly end: number;
}

const PROMETHEUS = 'http://127.0.0.1:9090';

async function activeAlerts(): Promise<Record<string, AlertState> | undefined> {
  try {
    const response = await fetch(`${PROMETHEUS}/api/v1/alerts`);
    const body = (await response.json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: AlertState }> } };
    const states: Record<string, AlertState> = {};
    for (const alert of body.data.alerts) {
      const name = alert.labels.alertname;
      if (states[name] !== 'firing') states[name] = alert.state;
    }
    return states;
  } catch {
    return undefined;
  }
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function instantQuery(expr: string): Promise<QueryResult> {
  const response = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: VectorSample[] } };
  if (body.status !== 'success') return { expr, status: body.error ?? body.status, series: 0, values: [] };
  const result = body.data?.result ?? [];
  const values = result.map((s) => {
    const v = Number(s.value[1]);
    const shown = Number.isInteger(v) ? String(v) : v.toFixed(2);
    return s.metric.pod ? `${s.metric.pod}: ${shown}` : shown;
  });
  return { expr, status: 'success', series: result.length, values: values.sort() };
}

/** What the Restate alerts stand on, in a line: targets down and why, and who counts a node dead. */
async function diagnosis(): Promise<string> {
  try {
    const response = await fetch(`${PROMETHEUS}/api/v1/targets?state=active`);
    const body = (await response.json()) as {
      data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> };
    };
    const down = body.data.activeTargets
      .filter((t) => t.health !== 'up')
      .map((t) => `${t.labels.pod} ${t.health}${t.lastError ? ` (${t.lastError.slice(0, 80)})` : ''}`);
    const dead = await instantQuery('restate_failure_detector_nodes_total{state="dead"} > 0');
    return [
      down.length > 0 ? `down: ${down.join(', ')}` : 'every target up',
      dead.series > 0 ? `dead per failure detector of ${dead.values.join(', ')}` : 'no node dead per failure detectors',
    ].join('; ');
  } catch (error) {
    return `no diagnosis: ${(error as Error).message}`;
  }
}

/** Samples the alerts once a second until stopped. */
class Sampler {
  readonly samples: AlertSample[] = [];
  /** A look taken but not yet in `samples` (its diagnosis is being read). */
  busy = false;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly t0: number,
    deadline: Deadline,
  ) {
    this.loop = (async () => {
      while (!this.stopped && !deadline.expired()) {
        this.busy = true;
        const alerts = await activeAlerts();
        if (alerts) {
          const t = this.now();
          this.samples.push({ t, alerts, ...(Object.keys(alerts).length > 0 ? { why: await diagnosis() } : {}) });
        }
        this.busy = false;
        await sleep(1000);
      }
    })();
  }

  now(): number {
    return Math.round((Date.now() - this.t0) / 100) / 10;
  }

  latest(): AlertSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

interface Run {
  readonly input: LiveAlertsInput;
  readonly context: IsolatedContext;
  readonly local: LocalCluster;
  readonly ctl: Restatectl;
  readonly sampler: Sampler;
}

/** Waits until every alert of `names` is firing in the latest sample; the time seen, or undefined at the bound. */
async function untilFiring(run: Run, names: readonly string[]): Promise<number | undefined> {
  const bound = run.context.deadline.within(run.input.holdBoundSeconds * 1000);
  while (!bound.expired()) {
    const last = run.sampler.latest();
    if (last && names.every((n) => last.alerts[n] === 'firing')) return last.t;
    await sleep(500);
  }
  return undefined;
}

/** Waits until no alert has been active for `settleSeconds`; the time, or undefined at the bound. */
async function untilSettled(run: Run, victims: readonly LocalNode[]): Promise<number | undefined> {
  const bound = run.context.deadline.within(run.input.settleBoundSeconds * 1000);
  while (!bound.expired()) {
    const down = victims.filter((v) => !run.local.isRunning(v.ordinal));
    if (down.length > 0) throw new Error(`${down.map((v) => v.name).join(', ')} exited after the recovery: ${run.local.logSummary()}`);
    if (run.sampler.busy) {
      await sleep(100);
      continue;
    }
    const since = run.sampler.now() - run.input.settleSeconds;
    const window = run.sampler.samples.filter((s) => s.t >= since);
    if (window.length >= run.input.settleSeconds / 2 && window.every((s) => Object.keys(s.alerts).length === 0)) return run.sampler.now();
    await sleep(500);
  }
  return undefined;
}

async function nodeKill(run: Run, plan: FaultPlan): Promise<FaultRecord> {
  const { local, context, sampler } = run;
  const victim = local.nodes[local.nodes.length - 1]!;
  const at = sampler.now();
  await local.kill(victim.ordinal);
  context.progress(`node-kill: SIGKILL ${victim.name}`);
  const awaitedFiringAt = await untilFiring(run, plan.awaitFiring);
  const recoveryAt = sampler.now();
  await local.restart(victim.ordinal, context.deadline.within(60_000));
  const recoveredAt = sampler.now();
  context.progress(`node-kill: restarted ${victim.name} on its data`);
  const settledAt = await untilSettled(run, [victim]);
  return {
    kind: 'node-kill',
    victims: [victim.name],
    at,
    awaitedFiringAt,
    recoveryAt,
    recoveredAt,
    settledAt,
    steps: [`SIGKILL ${victim.name}`, `restart ${victim.name} on its data`],
  };
}

async function majorityLoss(run: Run, plan: FaultPlan): Promise<FaultRecord> {
  const { local, context, sampler } = run;
  const replicas = run.input.cluster.replicas;
  const victims = local.nodes.slice(replicas - majorityOf(replicas), replicas);
  const names = victims.map((v) => v.name).join(' and ');
  const at = sampler.now();
  await Promise.all(victims.map((v) => local.kill(v.ordinal)));
  context.progress(`majority-loss: SIGKILL ${names}`);
  const awaitedFiringAt = await untilFiring(run, plan.awaitFiring);
  const recoveryAt = sampler.now();
  await Promise.all(victims.map((v) => local.restart(v.ordinal, context.deadline.within(60_000))));
  const recoveredAt = sampler.now();
  context.progress(`majority-loss: restarted ${names} on their data`);
  const settledAt = await untilSettled(run, victims);
  return {
    kind: 'majority-loss',
    victims: victims.map((v) => v.name),
    at,
    awaitedFiringAt,
    recoveryAt,
    recoveredAt,
    settledAt,
    steps: [`SIGKILL ${names} (${victims.length} of ${replicas})`, `restart ${names} on their data (no step by hand)`],
  };
}

async function volumeLoss(run: Run, plan: FaultPlan): Promise<FaultRecord> {
  const { local, context, sampler, ctl } = run;
  const victim = local.nodes[local.nodes.length - 1]!;
  const rows = await ctl.sql<SqlRow>(local.liveAddresses(), nodeIdQuery(victim.name));
  const oldId = rows.map(nodeIdOf).find((id) => id !== undefined);
  if (!oldId) throw new Error(`${victim.name} is not listed in the cluster's nodes: ${JSON.stringify(rows)}`);
  const steps: string[] = [];
  const at = sampler.now();
  await local.kill(victim.ordinal);
  local.removeData(victim.ordinal);
  context.progress(`volume-loss: SIGKILL ${victim.name} (${oldId}), its data folder removed`);
  steps.push(`SIGKILL ${victim.name} (${oldId}), its data folder removed`);
  const exit = await local.startUntilExit(victim.ordinal, context.deadline.within(90_000));
  const line = dataLossLine(readFileSync(victim.logFile, 'utf8'));
  const emptyStart = { exit: describeExit(exit), ...(line ? { line } : {}) };
  steps.push(`start ${victim.name} on the empty folder: ${emptyStart.exit}${line ? ` (${DATA_LOSS_LOG.source})` : ''}`);
  context.progress(`volume-loss: ${victim.name} on an empty folder ended with ${emptyStart.exit}`);
  const awaitedFiringAt = await untilFiring(run, plan.awaitFiring);
  const recoveryAt = sampler.now();
  const runner = { local, ctl, deadline: context.deadline };
  for (const step of recoverSteps({ name: victim.name, id: oldId })) {
    const outcome = await runRecoverStep(runner, step, victim);
    steps.push(`recover: ${describeStep(step)}: ${outcome}`);
    context.progress(`volume-loss: recover: ${describeStep(step)}`);
  }
  const recoveredAt = sampler.now();
  const settledAt = await untilSettled(run, [victim]);
  return { kind: 'volume-loss', victims: [victim.name], at, awaitedFiringAt, recoveryAt, recoveredAt, settledAt, steps, emptyStart };
}

const FAULTS: Record<FaultKind, (run: Run, plan: FaultPlan) => Promise<FaultRecord>> = {
  'node-kill': nodeKill,
  'majority-loss': majorityLoss,
  'volume-loss': volumeLoss,
};

isolatedMain<LiveAlertsInput, LiveAlertsRecord>(async (input, context) => {
  const bin = join(context.workDir, 'bin');
  mkdirSync(bin);
  symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
  const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: context.workDir };

  const local = new LocalCluster({ cluster: input.cluster, serverBinary: input.binaries.server, workDir: context.workDir });
  context.onExit(() => local.stopSync());
  await local.start(context.deadline.within(60_000));
  const address = local.nodes[0]!.address;
  const provision = await runCommand(
    'sh',
    [
      PROVISION_SCRIPT_PATH,
      ...provisionScriptArgs({ address, deadlineSeconds: 150, intervalSeconds: 1, replicas: input.cluster.replicas }),
    ],
    { env, timeoutMs: 160_000 },
  );
  if (provision.code !== 0) throw new Error(`provisioning failed: ${provision.stdout}${provision.stderr}`);
  context.progress('cluster provisioned and serving');

  // Prometheus: the scrape job verify derives from the PodMonitor, on the nodes as the operator labels its pods
  const promDir = join(context.workDir, 'prometheus');
  mkdirSync(join(promDir, 'data'), { recursive: true });
  writeFileSync(join(promDir, 'rules.yaml'), stringify({ groups: input.groups }));
  const pods = local.nodes.map((node) => ({
    name: node.name,
    namespace: input.cluster.name,
    labels: clusterPodLabels(input.cluster.name),
    ip: node.ip,
    namedPorts: { ingress: INGRESS_PORT, admin: ADMIN_PORT, metrics: FABRIC_PORT },
    container: RESTATE_CONTAINER,
  }));
  const config = prometheusConfig(input.podMonitor, pods, { intervalSeconds: input.scrapeSeconds, ruleFile: 'rules.yaml' });
  writeFileSync(join(promDir, 'prometheus.yml'), stringify(config));
  const prometheus = new ManagedProcess({
    label: 'prometheus',
    file: 'prometheus',
    args: [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      '--web.listen-address=127.0.0.1:9090',
    ],
    cwd: promDir,
    env: { PATH: '/usr/bin:/bin' },
    logFile: join(promDir, 'prometheus.log'),
  });
  context.onExit(() => prometheus.stopSync());
  const targets = config.scrape_configs.flatMap((job) => job.static_configs).length;
  await pollUntil(`Prometheus scraping ${targets} targets, each up`, context.deadline.within(120_000), 1000, async () => {
    const up = await instantQuery('up');
    const ok = up.values.filter((v) => v.endsWith(': 1')).length;
    return ok === targets ? { done: true, value: undefined } : { done: false, reason: `up: ${up.values.join(', ') || 'no series'}` };
  });

  // Prometheus's first evaluations can run before every target's first scrape is in (a partial cluster): the
  // healthy window starts once no alert is active
  await pollUntil('no active alert after the first scrapes', context.deadline.within(120_000), 1000, async () => {
    const alerts = await activeAlerts();
    return alerts && Object.keys(alerts).length === 0
      ? { done: true, value: undefined }
      : { done: false, reason: `active: ${JSON.stringify(alerts)}` };
  });
  const ctl = new Restatectl(join(bin, 'restatectl'), env);
  const sampler = new Sampler(Date.now(), context.deadline);
  const run: Run = { input, context, local, ctl, sampler };
  // the healthy cluster, scraped long enough for every rule's window, then the dashboard's queries
  await sleep(input.quietSeconds * 1000);
  const queries: QueryResult[] = [];
  for (const expr of input.queries) queries.push(await instantQuery(expr));
  context.progress(`healthy: ${queries.length} panel queries evaluated`);

  const faults: FaultRecord[] = [];
  for (const plan of input.faults) {
    try {
      faults.push(await FAULTS[plan.kind](run, plan));
    } catch (error) {
      throw new Error(`${plan.kind}: ${(error as Error).message}\n${logTail(local.nodes[local.nodes.length - 1]!.logFile, 8)}`);
    }
  }
  const end = sampler.now();
  await sampler.stop();
  await prometheus.stop('SIGTERM', 10_000);
  await local.stop();
  return { queries, faults, samples: sampler.samples, end };
});
