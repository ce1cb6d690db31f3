import { parseImageReference } from './image';
import { parseQuantity } from './kubernetes-rules';
import { quantityToBytes } from './quantity';

/**
 * The memory budgets of a Restate server, derived from its pod's memory by one rule (docs/memory.md, with the sources
 * at each server version). No shipped server (1.4.0 … 1.7.x) sizes a budget from its cgroup: from 1.6.0 it reads the
 * cgroup limit only to log an error when `rocksdb-total-memory-size` is above 90 % of it
 * (crates/rocksdb/src/db_manager.rs, `check_memory_limit`). So every version gets its budgets written.
 */

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** The budgets a server version sizes by config, by the names of `restate.memory`. */
export const BUDGET_KEYS = ['rocksdbTotal', 'queryEngine', 'recordCache', 'invoker'] as const;
export type BudgetKey = (typeof BUDGET_KEYS)[number];

/** Where each budget lives in the server's config (TOML path) and the first server version that reads it. */
export const BUDGET_CONFIG: Readonly<Record<BudgetKey, { readonly path: readonly string[]; readonly since: Version }>> = {
  rocksdbTotal: { path: ['rocksdb-total-memory-size'], since: [1, 4, 0] },
  queryEngine: { path: ['admin', 'query-engine', 'memory-size'], since: [1, 4, 0] },
  recordCache: { path: ['bifrost', 'record-cache-memory-size'], since: [1, 4, 0] },
  invoker: { path: ['worker', 'invoker', 'memory-limit'], since: [1, 7, 0] },
};

/**
 * The rule: each budget's share of the pod's memory, and the ceiling it never passes (the server's own default, so a
 * large pod is not handed more than upstream ever gives). RocksDB gets half: the server's own error message says "keep
 * it under 50% of process memory" (db_manager.rs, 1.6.0+) and the upstream Helm chart sets 3Gi under an 8Gi limit
 * (charts/restate-helm/values.yaml). restate-cdk gives RocksDB 75 %, which leaves nothing for the other budgets.
 */
export const SHARES: Readonly<Record<BudgetKey, { readonly share: number; readonly ceiling?: (v: Version) => number }>> = {
  rocksdbTotal: { share: 1 / 2 },
  // [admin.query-engine] memory-size: 4 GiB before 1.6.0, 1 GiB since (query_engine.rs).
  queryEngine: { share: 1 / 8, ceiling: (v) => (atLeast(v, [1, 6, 0]) ? GiB : 4 * GiB) },
  // [bifrost] record-cache-memory-size: 250 MiB at every version (bifrost.rs).
  recordCache: { share: 1 / 32, ceiling: () => 250 * MiB },
  // [worker.invoker] memory-limit: 1.5 GiB, new in 1.7.0 (worker.rs; release-notes/v1.7.0.md).
  invoker: { share: 1 / 16, ceiling: () => 1536 * MiB },
};

/** The server's own default of a budget at a version (the sources are in docs/memory.md). */
export function serverDefault(key: BudgetKey, v: Version): number {
  if (key === 'rocksdbTotal') return atLeast(v, [1, 6, 0]) ? 2 * GiB : 6 * GiB;
  return SHARES[key].ceiling!(v);
}

/** What the budgets may take of the pod's memory together; the rest is the process itself (threads, buffers, indexes). */
export const ALLOWED_SHARE = 3 / 4;

/**
 * The smallest memory a pod may have: 1.7 raises a `rocksdb-total-memory-size` below 256 MiB to 256 MiB
 * (common.rs `MIN_ROCKSDB_MEMORY`), so below 512 MiB half the pod is less than the server takes anyway.
 */
export const MIN_POD_MEMORY = 512 * MiB;

export type Version = readonly [number, number, number];

export function atLeast(v: Version, w: Version): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== w[i]) return v[i] > w[i];
  return true;
}

/** The newest server version the rule was checked against; an image whose tag names no version is taken as this one. */
export const NEWEST_KNOWN: Version = [1, 7, 12];

/** `restatedev/restate:1.4.4` → [1, 4, 4]; a digest or an unversioned tag → undefined. */
export function serverVersion(image: string): Version | undefined {
  const parsed = parseImageReference(image);
  if (typeof parsed === 'string' || !parsed.tag) return undefined;
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(parsed.tag);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

/** Bytes of a memory quantity, rounded down to whole bytes (`1.5Gi`, `800M`, `8Gi`). */
export function memoryBytes(text: string): number | undefined {
  const parsed = parseQuantity(text);
  if (typeof parsed === 'string' || parsed.numerator <= 0n) return undefined;
  return Number(parsed.numerator / parsed.denominator);
}

export interface PodMemory {
  readonly bytes: number;
  /** The key it was read from: the limit when there is one, else the request. */
  readonly from: 'resources.limits.memory' | 'resources.requests.memory';
  readonly quantity: string;
}

interface MemoryValues {
  readonly image: string;
  readonly resources?: { readonly requests?: { readonly memory?: string }; readonly limits?: { readonly memory?: string } };
  readonly restate: { readonly memory?: Partial<Record<BudgetKey, string>> };
}

/**
 * The memory the budgets are sized from: the limit (what the kubelet kills at), or, with only a request, the request
 * (what the scheduler reserved; a pod above its request is the first the kubelet evicts under node pressure).
 */
export function podMemory(values: MemoryValues): PodMemory | undefined {
  const limit = values.resources?.limits?.memory;
  const request = values.resources?.requests?.memory;
  const [quantity, from] =
    limit !== undefined ? [limit, 'resources.limits.memory' as const] : [request, 'resources.requests.memory' as const];
  if (quantity === undefined) return undefined;
  const bytes = memoryBytes(quantity);
  return bytes === undefined ? undefined : { bytes, from, quantity };
}

export interface Budget {
  readonly bytes: number;
  /** `derived`: from the pod's memory by the rule; `explicit`: `restate.memory.<key>`. */
  readonly source: 'derived' | 'explicit';
}

export interface MemoryBudgets {
  readonly version: Version;
  readonly pod?: PodMemory;
  readonly budgets: Readonly<Partial<Record<BudgetKey, Budget>>>;
}

/** Which budgets a server version reads. */
export function budgetKeysOf(version: Version): BudgetKey[] {
  return BUDGET_KEYS.filter((key) => atLeast(version, BUDGET_CONFIG[key].since));
}

/** A share of the pod's memory, rounded down to whole MiB and held under the budget's ceiling. */
export function derivedBudget(key: BudgetKey, podBytes: number, version: Version): number {
  const { share, ceiling } = SHARES[key];
  const bytes = Math.floor((podBytes * share) / MiB) * MiB;
  return ceiling ? Math.min(bytes, ceiling(version)) : bytes;
}

/**
 * The budgets of a target: explicit ones as written, the others derived from the pod's memory. Without pod memory
 * only the explicit budgets (the server's defaults stand for the rest, as before).
 */
export function memoryBudgets(values: MemoryValues, versionOverride?: Version): MemoryBudgets {
  const version = versionOverride ?? serverVersion(values.image) ?? NEWEST_KNOWN;
  const pod = podMemory(values);
  const budgets: Partial<Record<BudgetKey, Budget>> = {};
  for (const key of budgetKeysOf(version)) {
    const explicit = values.restate.memory?.[key];
    if (explicit !== undefined) budgets[key] = { bytes: quantityToBytes(explicit), source: 'explicit' };
    else if (pod) budgets[key] = { bytes: derivedBudget(key, pod.bytes, version), source: 'derived' };
  }
  return { version, pod, budgets };
}

/** `4294967296` → `4Gi`, `805306368` → `768Mi`, else bytes. */
export function showBytes(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB}Gi`;
  if (bytes % MiB === 0) return `${bytes / MiB}Mi`;
  return `${bytes} bytes`;
}

export interface MemoryProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/** Why a target's memory cannot work: a pod below the minimum, a budget for a server that does not read it, or budgets over the allowed share. */
export function memoryProblems(values: MemoryValues): MemoryProblem[] {
  const problems: MemoryProblem[] = [];
  const version = serverVersion(values.image) ?? NEWEST_KNOWN;
  const shown = version.join('.');
  for (const key of BUDGET_KEYS) {
    if (values.restate.memory?.[key] !== undefined && !atLeast(version, BUDGET_CONFIG[key].since)) {
      problems.push({
        path: ['restate', 'memory', key],
        message: `has no effect on ${values.image}: ${BUDGET_CONFIG[key].path.join('.')} exists from Restate ${BUDGET_CONFIG[key].since.join('.')}, the image is ${shown}`,
      });
    }
  }
  const pod = podMemory(values);
  if (!pod) return problems;
  const podPath = pod.from.split('.');
  if (pod.bytes < MIN_POD_MEMORY) {
    problems.push({
      path: podPath,
      message:
        `is ${pod.quantity} (${pod.bytes} bytes), below the ${showBytes(MIN_POD_MEMORY)} a Restate server needs: from 1.7 the server raises ` +
        `rocksdb-total-memory-size to at least 256Mi, which is more than half of a smaller pod (docs/memory.md)`,
    });
    return problems;
  }
  const { budgets } = memoryBudgets(values, version);
  const entries = Object.entries(budgets) as Array<[BudgetKey, Budget]>;
  const total = entries.reduce((sum, [, b]) => sum + b.bytes, 0);
  const allowed = Math.floor(pod.bytes * ALLOWED_SHARE);
  if (total > allowed && entries.some(([, b]) => b.source === 'explicit')) {
    const parts = entries.map(
      ([key, b]) => `${b.source === 'explicit' ? `restate.memory.${key}` : `${key} (derived)`} ${showBytes(b.bytes)}`,
    );
    problems.push({
      path: ['restate', 'memory'],
      message:
        `budgets ${parts.join(' + ')} = ${showBytes(total)} exceed the ${showBytes(allowed)} that ${pod.from} ${pod.quantity} allows ` +
        `(${ALLOWED_SHARE * 100} %; the rest is the server process itself): lower them or raise ${pod.from} (docs/memory.md)`,
    });
  }
  return problems;
}
