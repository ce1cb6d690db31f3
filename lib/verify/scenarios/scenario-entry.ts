/**
 * Runs inside the sandbox (see sandbox.ts): one day-two scenario of one target. Not meant to be run by hand.
 */
import { isolatedMain } from '../isolated-main';
import { runScenario, type ScenarioInput } from './run-scenario';
import type { ScenarioResult } from './scenario';

isolatedMain<ScenarioInput, ScenarioResult>(runScenario);
