import { GiB, MiB } from '../../lib/values';
import { formatNodeMemory } from '../../lib/verify/live-memory';
import { kubeletView } from '../../lib/verify/memory-cgroup';
import { checkReportedBudgets, dumpedBytes, memoryRunPlan } from '../../lib/verify/memory-plan';

/*
 * How verify runs a target's nodes under their pods' memory limit: the scaling when the shipped limits do not fit the
 * machine, the budgets it sets for the server that runs, and its reading of the budgets that server reports.
 */

const PROD_1_4_4 = [
  'rocksdb-total-memory-size = 4_294_967_296',
  '[bifrost]',
  'record-cache-memory-size = 262_144_000',
  '[admin.query-engine]',
  'memory-size = 1_073_741_824',
].join('\n');

describe('the limits each node runs under', () => {
  test('5 × 8Gi on a machine with 21 GiB available: every limit is scaled by 1/4 to 2Gi, and every budget derived again', () => {
    // GIVEN prod's shipped limit and config, and the npm server 1.7.12 WHEN planning for this machine
    const plan = memoryRunPlan('8Gi', 5, 21 * GiB, [1, 7, 12], PROD_1_4_4);
    // THEN one factor for all, and the rule's budgets for 2Gi, the invoker pool of 1.7 included
    expect(plan.factor).toBe(1 / 4);
    expect(plan.limitBytes).toBe(2 * GiB);
    expect(plan.env).toEqual({
      RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE: String(1 * GiB),
      RESTATE_ADMIN__QUERY_ENGINE__MEMORY_SIZE: String(256 * MiB),
      RESTATE_BIFROST__RECORD_CACHE_MEMORY_SIZE: String(64 * MiB),
      RESTATE_WORKER__INVOKER__MEMORY_LIMIT: String(128 * MiB),
    });
    expect(plan.allowedBytes).toBe(1536 * MiB);
    expect(plan.notes[0]).toMatch(/^5 × 8Gi does not fit in half of this machine's .* every limit is scaled by 1\/4 to 2Gi/);
  });

  test('at its shipped limit, only the budgets the config lacks and the running server reads are set (1.7 on a 1.4.4 config)', () => {
    const plan = memoryRunPlan('8Gi', 5, 200 * GiB, [1, 7, 12], PROD_1_4_4);
    expect(plan.factor).toBe(1);
    expect(plan.env).toEqual({ RESTATE_WORKER__INVOKER__MEMORY_LIMIT: String(512 * MiB) });
    expect(plan.notes).toEqual([
      "worker.invoker.memory-limit is not in the config (the image's server does not read it) but 1.7.12 does: set to 512Mi by the rule",
    ]);
  });
});

describe("reading the budgets the server reports (--dump-config's notation)", () => {
  test.each([
    ['4.0 GiB', 4 * GiB - 0.05 * GiB, 4 * GiB + 0.05 * GiB],
    ['250.0 MiB', 250 * MiB - 0.05 * MiB, 250 * MiB + 0.05 * MiB],
    [1048576, 1048576, 1048576],
  ])('%j is between its rounding bounds', (value, low, high) => {
    const [a, b] = dumpedBytes(value)!;
    expect(a).toBeCloseTo(low, 0);
    expect(b).toBeCloseTo(high, 0);
  });

  test('budgets within 3/4 of the limit pass; over it, the check names them and the numbers', () => {
    const dump = {
      'rocksdb-total-memory-size': '1.0 GiB',
      admin: { 'query-engine': { 'memory-size': '256.0 MiB' } },
      bifrost: { 'record-cache-memory-size': '64.0 MiB' },
      worker: { invoker: { 'memory-limit': '128.0 MiB' } },
    };
    expect(checkReportedBudgets(dump, [1, 7, 12], 1536 * MiB).problems).toEqual([]);
    // the server's defaults of 1.7 (2 GiB + 1 GiB + 250 MiB + 1.5 GiB) under a 2Gi limit
    const defaults = {
      'rocksdb-total-memory-size': '2.0 GiB',
      admin: { 'query-engine': { 'memory-size': '1.0 GiB' } },
      bifrost: { 'record-cache-memory-size': '250.0 MiB' },
      worker: { invoker: { 'memory-limit': '1.5 GiB' } },
    };
    expect(checkReportedBudgets(defaults, [1, 7, 12], 1536 * MiB).problems).toEqual([
      'the budgets the server reports (2.0 GiB + 1.0 GiB + 250.0 MiB + 1.5 GiB) take at least 4704Mi, more than the 1536Mi the limit allows',
    ]);
  });

  test('a budget missing from the dump is a problem, not a zero', () => {
    expect(checkReportedBudgets({}, [1, 4, 4], GiB).problems[0]).toMatch(/^rocksdb-total-memory-size is missing from --dump-config/);
  });
});

describe('how the kubelet would show a node', () => {
  test.each([
    [{ code: null, signal: 'SIGKILL' }, 1, "OOMKilled (exit code 137; the kernel's OOM killer ran 1 time in its cgroup)"],
    [{ code: 1, signal: null }, 0, 'Error (exit code 1: it refused to start or failed)'],
    [undefined, 0, 'Running'],
    [{ code: null, signal: 'SIGKILL' }, 0, 'Error (killed by SIGKILL, no OOM kill)'],
  ])('%j with %i OOM kills is %s', (exit, oomKills, shown) => {
    expect(kubeletView(exit, oomKills)).toBe(shown);
  });
});

test("a node's line in the report: its peak against the limit, its peak RSS, OOM kills, starts and state", () => {
  const line = formatNodeMemory({
    name: 'restate-2',
    limitBytes: 2 * GiB,
    peakBytes: 512 * MiB,
    peakRssBytes: 500 * MiB,
    oomKills: 0,
    starts: 4,
    state: 'Running',
  });
  expect(line).toBe(
    'restate-2: peak charged to its cgroup (RSS + page cache) 512 MiB of 2Gi (25 %), peak RSS 500 MiB, 0 OOM kills, 4 starts, Running',
  );
});
