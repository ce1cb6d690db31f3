import type { Deadline } from '../deadline';
import type { LiveSession, LiveStep } from '../live-session';
import type { LocalCluster } from '../local-cluster';
import type { Restatectl } from '../restatectl';
import type { CounterClient } from './counter-client';

/**
 * What a scenario gets: the target's cluster started from its shipped config (dist/), provisioned with what
 * ships (the Job or provision.sh), every partition led, the SDK counter service registered.
 */
export interface ScenarioContext {
  /** The whole stand-in and its named steps (start, provision, partition health, layout, …). */
  readonly session: LiveSession;
  /** The restate-server processes: `nodes` holds `capacity` pods, the first `replicas` running. */
  readonly local: LocalCluster;
  /** The npm restatectl, with the run's environment. */
  readonly ctl: Restatectl;
  /** The SDK counter through the ingress, with idempotency keys and a ledger of acknowledged writes. */
  readonly counter: CounterClient;
  /** The scenario's budget from its start (and never past the run's global deadline). */
  readonly deadline: Deadline;
  /** The restate-server binaries of the scenario's `serverVersions`, in order: the cluster started on the first. */
  readonly servers: readonly ServerBinary[];
  /** Runs one named step (recorded; a failure stops the scenario). */
  step(name: string, action: () => Promise<string>): Promise<void>;
  /** A progress line. */
  say(line: string): void;
}

/** One restate-server binary a scenario runs. */
export interface ServerBinary {
  readonly version: string;
  readonly path: string;
}

/** A figure of a scenario, for the report and the docs: `{ name: 'leaderless-max', value: 12, unit: 'partitions' }`. */
export interface ScenarioFigure {
  readonly name: string;
  readonly value: number | string;
  readonly unit?: string;
}

/** What a scenario reports beyond its steps. */
export interface ScenarioOutcome {
  /** The measured figures, in the order they are reported. */
  readonly figures: readonly ScenarioFigure[];
  /** What the stack automates or refuses because of what the scenario showed, in one or two sentences. */
  readonly consequence?: string;
}

/** One day-two scenario of `npm run verify -- --scenario NAME`. */
export interface Scenario {
  readonly name: string;
  /** One line: what it does and what it proves. */
  readonly summary: string;
  /** Whole run (stand-up included) must end within this; the sandbox stops it at the limit. */
  readonly budgetSeconds: number;
  /**
   * Pods `restate-0..N-1` the run may start beyond the RestateCluster's `replicas` (a scale-out).
   * @default - the target's replicas
   */
  capacity?(replicas: number): number;
  /**
   * The restate-server versions the scenario runs, in order; the cluster starts on the first. Versions other
   * than the project's own come pinned from lib/verify/older-servers.ts, fetched on the host before the sandbox.
   * @default - the project's own restate-server (package.json)
   */
  readonly serverVersions?: readonly string[];
  /** Why the scenario cannot run on this target (e.g. too few replicas), or undefined when it can. */
  refuse?(target: { readonly replicas: number; readonly replication: number }): string | undefined;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

/** The result of one scenario run, as it leaves the sandbox. */
export interface ScenarioResult {
  readonly name: string;
  readonly ok: boolean;
  readonly budgetSeconds: number;
  /** Whole run, stand-up included. */
  readonly ms: number;
  readonly steps: readonly LiveStep[];
  readonly outcome?: ScenarioOutcome;
}
