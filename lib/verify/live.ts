import type { IsolatedContext } from './isolated-main';
import { type LiveCheckInput, LiveSession, type LiveStep, type NodeDownAlertOutcome, type PolicyOutcome, StepFailed } from './live-session';
import type { MemoryOutcome } from './live-memory';
import type { CounterOutcome, SleepFailoverOutcome } from './service-checks';
import type { SnapshotOutcome } from './snapshot-check';

export interface LiveResult {
  readonly ok: boolean;
  readonly steps: readonly LiveStep[];
  /** From starting the nodes until every partition had an active leader. */
  readonly readyMs?: number;
  /** From the SIGKILL until every partition had an active leader on a live node again. */
  readonly failoverMs?: number;
  /** The node that was killed. */
  readonly killed?: string;
  /** What the snapshot check saw in the stand-in, when the config has a snapshot destination. */
  readonly snapshots?: SnapshotOutcome;
  /** The SDK counter, incremented through successive SIGKILLs of single nodes. */
  readonly counter?: CounterOutcome;
  /** The sleeping invocation whose partition leader was SIGKILLed. */
  readonly sleep?: SleepFailoverOutcome;
  /** The NetworkPolicy connections tried for real, and the rules that enforced them. */
  readonly policies?: PolicyOutcome;
  /** The provisioning Job's run, when the target has one. */
  readonly jobMs?: number;
  /** The pods' memory limits and what the nodes did under them, when the RestateCluster sets a limit. */
  readonly memory?: MemoryOutcome;
  /** The fail-over's node kill as the real Prometheus saw it, when the target ships rules. */
  readonly nodeDownAlert?: NodeDownAlertOutcome;
  /** What the check ran on when not the model (`--on control-plane`), and which checks that base does not run yet. */
  readonly base?: string;
}

/**
 * The live check of one target, as named steps of a LiveSession (live-session.ts): stands the cluster up from
 * the target's files the way operator 1.7.4 would, provisions it with what ships (the Job, or the provisioning
 * script), checks its layout and the policies (Prometheus's scrapes among them), provisions again (a no-op), kills the
 * busiest node and waits for fail-over (and, with the target's rules, for Prometheus's node-down alert), then runs a real SDK service through more node losses (live-service.ts).
 * Runs inside the sandbox; stops and removes everything it started on every way out.
 */
export async function runLiveCheck(input: LiveCheckInput, context: IsolatedContext): Promise<LiveResult> {
  const session = new LiveSession(input, context);
  try {
    await session.standUp();
    await session.checkLocations();
    await session.checkLayout();
    await session.checkPolicies();
    await session.provisionAgain();
    await session.snapshotsLand();
    await session.failover();
    await session.registerService();
    await session.nodeDownResolved();
    await session.counterAndSleep();
    await session.memoryHeld();
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    await session.close();
  }
  return { ok: session.steps.every((s) => s.ok), steps: session.steps, ...session.record };
}
