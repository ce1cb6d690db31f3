import { majorityLoss } from './majority-loss';
import { rollingUpgrade } from './rolling-upgrade';
import { volumeLoss } from './volume-loss';
import type { Scenario } from './scenario';

/**
 * Every scenario of `npm run verify -- --scenario NAME`, one entry per line, in the order `--help` lists them.
 * Add a scenario by importing it above and adding it here.
 */
export const SCENARIOS: readonly Scenario[] = [
  rollingUpgrade,
  majorityLoss,
  volumeLoss,
];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
