import { activeLeaders, probeLeaders } from './cluster-checks';
import type { ClusterServiceModel } from './cluster-service';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import type { LocalCluster } from './local-cluster';
import type { Restatectl } from './restatectl';
import type { ServiceApp } from './service-app';
import {
  type ClusterControl,
  type CounterOutcome,
  counterThroughKills,
  registerDeployment,
  type ServiceEndpoints,
  type SleepFailoverOutcome,
  sleepThroughLeaderKill,
} from './service-checks';

/** Adds before the first kill and while each killed node is down. */
const COUNTER_ADDS_PER_PHASE = 10;
/** How many nodes the counter loses, one at a time (the first ones by ordinal). */
const COUNTER_KILLS = 3;
/** How long the sleeping invocation sleeps; its leader is killed while it is suspended. */
const SLEEP_MS = 8000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function sdkVersion(): string {
  return (require('@restatedev/restate-sdk/package.json') as { version: string }).version;
}

export interface LocalControlProps {
  readonly local: LocalCluster;
  readonly ctl: Restatectl;
  readonly services: ClusterServiceModel;
  readonly deadline: Deadline;
  /** Bound on a restarted node's way back (until every partition has an active leader). */
  readonly readyBoundMs: number;
  readonly partitions: number;
}

/** What the service scenarios may do to the local cluster: kill, restart on data, find a key's leader. */
export function localClusterControl(props: LocalControlProps): ClusterControl {
  const { local, ctl } = props;
  return {
    nodeNames: local.nodes.map((n) => n.name),
    kill: (ordinal) => local.kill(ordinal),
    restart: async (ordinal) => {
      const node = local.nodes[ordinal];
      await local.restart(ordinal, props.deadline.within(30_000));
      props.services.containerStarted(node.name);
      await pollUntil(
        `${node.name} restarted on its data: an active leader for each of the ${props.partitions} partitions`,
        props.deadline.within(props.readyBoundMs),
        500,
        () => probeLeaders(ctl, local.liveAddresses(), props.partitions),
      );
    },
    leaderOfKey: async (key) => {
      // Keys are u64: read the ranges as text, JSON numbers would lose their low bits.
      const ranges = await ctl.sql<{ partition_id: number; s: string; e: string }>(
        local.liveAddresses(),
        'SELECT partition_id, CAST(start_key AS VARCHAR) AS s, CAST(end_key AS VARCHAR) AS e FROM partitions',
      );
      const partition = ranges.find((r) => BigInt(r.s) <= key && key <= BigInt(r.e));
      if (!partition) throw new VerifyError(`no partition holds key ${key}`);
      const names = (await activeLeaders(ctl, local.liveAddresses())).get(partition.partition_id) ?? [];
      const node = local.nodes.find((n) => names.includes(n.name) && local.isRunning(n.ordinal));
      if (!node) throw new VerifyError(`partition ${partition.partition_id} has no active leader`);
      return node.ordinal;
    },
  };
}

/** Runs one named step of the live check (records it, throws to stop the run on failure). */
export type StepRunner = (name: string, action: () => Promise<string>) => Promise<void>;

export interface RegisterServiceProps {
  readonly step: StepRunner;
  readonly endpoints: ServiceEndpoints;
  readonly app: ServiceApp;
  readonly deadline: Deadline;
}

/** Registers the SDK service's deployment through the admin API, as a user does; it must offer Counter. */
export async function registerService(props: RegisterServiceProps): Promise<void> {
  const { step, endpoints, app } = props;
  await step(
    `register the SDK service ${app.pod.namespace}/${app.pod.name} through the admin API (kubectl port-forward svc/restate 9070)`,
    async () => {
      const t = Date.now();
      const names = await registerDeployment(endpoints, app.uri, props.deadline.within(30_000));
      if (!names.includes('Counter'))
        throw new VerifyError(`the deployment registered, but its services are ${names.join(', ') || 'none'}, not Counter`);
      return `@restatedev/restate-sdk ${sdkVersion()} on ${app.uri}; POST /deployments answered in ${seconds(Date.now() - t)} with ${names.join(', ')}`;
    },
  );
}

export interface CounterAndSleepProps {
  readonly step: StepRunner;
  readonly endpoints: ServiceEndpoints;
  readonly control: ClusterControl;
  readonly deadline: Deadline;
  /** Bound on one call with its retries. */
  readonly callBoundMs: number;
  /** Where the outcomes go as soon as each is known. */
  readonly record: { counter?: CounterOutcome; sleep?: SleepFailoverOutcome };
}

/**
 * The SDK service's part of the live check (after `registerService`): the counter through single-node
 * SIGKILLs, and a suspended sleep through its partition leader's SIGKILL.
 */
export async function runCounterAndSleep(props: CounterAndSleepProps): Promise<void> {
  const { step, endpoints, control } = props;
  const victims = control.nodeNames.slice(0, COUNTER_KILLS).map((_, ordinal) => ordinal);
  await step(
    `a counter through SIGKILLs of ${victims.map((o) => control.nodeNames[o]).join(', ')} (one at a time, each restarted on its data)`,
    async () => {
      const counter = await counterThroughKills(endpoints, control, {
        key: 'verify',
        addsPerPhase: COUNTER_ADDS_PER_PHASE,
        victims,
        deadline: props.deadline,
        callBoundMs: props.callBoundMs,
      });
      props.record.counter = counter;
      return (
        `answers exactly 1..${counter.adds}, final count ${counter.final}, a retried key answered its first answer; ` +
        counter.kills
          .map((k) => `${k.node}: first answer ${seconds(k.firstAnswerMs)} after the kill (${k.retried} adds retried)`)
          .join('; ') +
        `; slowest add ${seconds(counter.slowestAddMs)}`
      );
    },
  );
  await step('an invocation suspended in ctx.sleep survives a SIGKILL of its partition leader', async () => {
    const sleep = await sleepThroughLeaderKill(endpoints, control, { key: 'sleeper', sleepMs: SLEEP_MS, deadline: props.deadline });
    props.record.sleep = sleep;
    return (
      `${sleep.invocationId} suspended; killed its leader ${sleep.node}; completed ${seconds(sleep.completedAfterKillMs)} after the kill, ` +
      `${seconds(sleep.lateMs)} after its timer was due (slept ${seconds(sleep.result.sleptMs)} of ${seconds(SLEEP_MS)}), ` +
      `the state after the sleep written exactly once (marks = ${sleep.marks})`
    );
  });
}
