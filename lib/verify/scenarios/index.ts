import type { Scenario } from './scenario';

/**
 * Every scenario of `npm run verify -- --scenario NAME`, one entry per line, in the order `--help` lists them.
 * Add a scenario by importing it above and adding it here.
 */
export const SCENARIOS: readonly Scenario[] = [
];

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
