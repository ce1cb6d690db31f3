import { majorityLoss } from './majority-loss';
import { rollingUpgrade } from './rolling-upgrade';
import { volumeLoss } from './volume-loss';
import type { Scenario } from './scenario';
import { scaleOut } from './scale-out';
import { scaleIn } from './scale-in';
import { rollingRestart } from './rolling-restart';
import { zoneLoss } from './zone-loss';

/**
 * Every scenario of `npm run verify -- --scenario NAME`, one entry per line, in the order `--help` lists them.
 * Add a scenario by importing it above and adding it here.
 */
export const SCENARIOS: readonly Scenario[] = [scaleOut, scaleIn, rollingRestart, rollingUpgrade, majorityLoss, volumeLoss, zoneLoss];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
