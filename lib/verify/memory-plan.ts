import * as TOML from '@iarna/toml';
import { envNameOf } from './config-compare';
import {
  ALLOWED_SHARE,
  BUDGET_CONFIG,
  type BudgetKey,
  budgetKeysOf,
  derivedBudget,
  memoryBytes,
  MiB,
  showBytes,
  type Version,
} from '../values';

/**
 * How the live check runs a target's nodes under its pods' memory limit: the limit, scaled down by one factor when
 * every node at its shipped limit would not fit this machine, and the budgets the nodes run with. Pure: the machine's
 * memory is an argument.
 */
export interface MemoryRunPlan {
  /** `spec.compute.resources.limits.memory` as shipped. */
  readonly shipped: string;
  readonly shippedBytes: number;
  /** 1, or 1/2^k: the largest such that every node's limit fits in half the machine's available memory. */
  readonly factor: number;
  /** The limit each node runs under. */
  readonly limitBytes: number;
  /** Budget variables set on every node (they win over config.toml): all budgets when scaled, else the ones the config lacks. */
  readonly env: Readonly<Record<string, string>>;
  /** What the budgets may take together: 3/4 of the limit (docs/memory.md). */
  readonly allowedBytes: number;
  /** Sentences for the report: the scaling, and each budget set here rather than by the config. */
  readonly notes: readonly string[];
}

/** The memory limit of a RestateCluster's pods, from its spec, if it has one. */
export function podMemoryLimit(spec: Readonly<Record<string, any>> | undefined): string | undefined {
  const limit = spec?.compute?.resources?.limits?.memory;
  return typeof limit === 'string' ? limit : undefined;
}

function budgetIn(config: Readonly<Record<string, unknown>>, key: BudgetKey): unknown {
  return BUDGET_CONFIG[key].path.reduce<any>((table, k) => table?.[k], config);
}

/**
 * The plan for one target: `replicas` nodes under `shipped` each, on a machine with `availableBytes`, running a
 * server of `version` with `configText`. Budgets follow the rule of docs/memory.md for the server that runs (the npm
 * binary, which may be newer than the image: a 1.4.4 config does not set 1.7's invoker pool, which 1.7.12 reads).
 */
export function memoryRunPlan(
  shipped: string,
  replicas: number,
  availableBytes: number,
  version: Version,
  configText: string,
): MemoryRunPlan {
  const shippedBytes = memoryBytes(shipped);
  if (shippedBytes === undefined) throw new Error(`"${shipped}" is not a memory quantity`);
  let factor = 1;
  while (replicas * shippedBytes * factor > availableBytes / 2 && factor > 1 / 1024) factor /= 2;
  const limitBytes = Math.floor((shippedBytes * factor) / MiB) * MiB;
  const config = TOML.parse(configText) as Record<string, unknown>;
  const env: Record<string, string> = {};
  const notes: string[] = [];
  if (factor < 1) {
    notes.push(
      `${replicas} × ${shipped} does not fit in half of this machine's ${showBytes(Math.floor(availableBytes / MiB) * MiB)} available: ` +
        `every limit is scaled by 1/${1 / factor} to ${showBytes(limitBytes)}, and every budget derived again from it by the same rule`,
    );
  }
  for (const key of budgetKeysOf(version)) {
    const written = budgetIn(config, key);
    if (factor === 1 && written !== undefined) continue;
    const bytes = derivedBudget(key, limitBytes, version);
    env[envNameOf(BUDGET_CONFIG[key].path)] = String(bytes);
    if (factor === 1) {
      notes.push(
        `${BUDGET_CONFIG[key].path.join('.')} is not in the config (the image's server does not read it) but ${version.join('.')} does: set to ${showBytes(bytes)} by the rule`,
      );
    }
  }
  return { shipped, shippedBytes, factor, limitBytes, env, allowedBytes: Math.floor(limitBytes * ALLOWED_SHARE), notes };
}

const UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB, TiB: 1024 * 1024 * MiB };

/** A byte count as `--dump-config` prints it (`"4.0 GiB"`, `"250.0 MiB"`) or as written (an integer): [low, high] bytes. */
export function dumpedBytes(value: unknown): readonly [number, number] | undefined {
  if (typeof value === 'number') return [value, value];
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.(\d+))?)\s*(B|KiB|MiB|GiB|TiB)$/.exec(value.trim());
  if (!match) return undefined;
  const unit = UNITS[match[3]];
  // Printed with a fixed number of decimals: the true value is within half a last digit of it.
  const half = match[2] ? (0.5 * unit) / 10 ** match[2].length : 0.5 * unit;
  return [Math.max(0, Number(match[1]) * unit - half), Number(match[1]) * unit + half];
}

export interface ReportedBudgets {
  /** Each budget as the server printed it. */
  readonly budgets: Readonly<Partial<Record<BudgetKey, string>>>;
  /** The sum, at least (each printed value less its rounding). */
  readonly atLeastBytes: number;
  readonly problems: readonly string[];
}

/** The budgets in a server's `--dump-config` against what the limit allows (the sum, counted at its lowest). */
export function checkReportedBudgets(dump: Readonly<Record<string, unknown>>, version: Version, allowedBytes: number): ReportedBudgets {
  const budgets: Partial<Record<BudgetKey, string>> = {};
  const problems: string[] = [];
  let atLeastBytes = 0;
  for (const key of budgetKeysOf(version)) {
    const value = budgetIn(dump, key);
    const bytes = dumpedBytes(value);
    if (!bytes) {
      problems.push(`${BUDGET_CONFIG[key].path.join('.')} is missing from --dump-config or not a byte count (${JSON.stringify(value)})`);
      continue;
    }
    budgets[key] = String(value);
    atLeastBytes += bytes[0];
  }
  if (atLeastBytes > allowedBytes) {
    problems.push(
      `the budgets the server reports (${Object.values(budgets).join(' + ')}) take at least ${showBytes(Math.floor(atLeastBytes / MiB) * MiB)}, ` +
        `more than the ${showBytes(allowedBytes)} the limit allows`,
    );
  }
  return { budgets, atLeastBytes, problems };
}
