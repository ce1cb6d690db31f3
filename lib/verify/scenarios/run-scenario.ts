import type { IsolatedContext } from '../isolated-main';
import { type LiveCheckInput, LiveSession, StepFailed } from '../live-session';
import { CounterClient } from './counter-client';
import { findScenario } from './index';
import type { ScenarioOutcome, ScenarioResult, ServerBinary } from './scenario';

export interface ScenarioInput extends LiveCheckInput {
  readonly scenario: string;
  /** The binaries of the scenario's `serverVersions`, in order; `binaries.server` is the first. */
  readonly servers: readonly ServerBinary[];
}

/**
 * Runs one scenario inside the sandbox: stands the target's cluster up from its shipped files (the same steps
 * as the live check: nodes, pods, policies, provisioning with what ships, partition health), registers the SDK
 * counter service, then hands over to the scenario. Everything is stopped and removed on every way out.
 */
export async function runScenario(input: ScenarioInput, context: IsolatedContext): Promise<ScenarioResult> {
  const scenario = findScenario(input.scenario);
  if (!scenario) throw new Error(`unknown scenario ${input.scenario}`);
  const started = Date.now();
  const session = new LiveSession(input, context, { capacity: scenario.capacity?.(input.cluster.replicas) });
  let outcome: ScenarioOutcome | undefined;
  try {
    await session.standUp();
    await session.registerService();
    outcome = await scenario.run({
      session,
      local: session.local,
      ctl: session.ctl,
      counter: new CounterClient(session.endpoints(), `scenario-${scenario.name}`),
      deadline: session.deadline,
      servers: input.servers,
      step: (name, action) => session.step(name, action),
      say: (line) => session.say(line),
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    await session.close();
  }
  const ok = outcome !== undefined && session.steps.every((s) => s.ok);
  return {
    name: scenario.name,
    ok,
    budgetSeconds: scenario.budgetSeconds,
    ms: Date.now() - started,
    steps: session.steps,
    ...(outcome ? { outcome } : {}),
  };
}
