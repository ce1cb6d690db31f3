import { type Deadline, sleep } from './deadline';
import { VerifyError } from './errors';
import type { HttpCallRequest, HttpCallResponse } from './http-call';
import { COUNTER_OBJECT, type SleepOutcome } from './app/counter-service';

/** Something that makes HTTP calls from somewhere in the model: an emulated pod, or the harness itself. */
export interface Caller {
  http(call: HttpCallRequest): Promise<HttpCallResponse>;
}

/** What the service scenarios may do to the cluster. */
export interface ClusterControl {
  readonly nodeNames: readonly string[];
  /** SIGKILLs node `ordinal` and waits until it is gone. */
  kill(ordinal: number): Promise<void>;
  /** Starts it again on its data; resolves once it is back and every partition has an active leader. */
  restart(ordinal: number): Promise<void>;
  /** The node leading the partition of this partition key (per the partition table and the live leaders). */
  leaderOfKey(partitionKey: bigint): Promise<number>;
}

export interface ServiceEndpoints {
  /** Where the admitted application calls the ingress, e.g. `http://restate:8080`. */
  readonly ingress: string;
  readonly caller: Caller;
  /** The admin API as the user reaches it, e.g. `http://restate:9070`. */
  readonly admin: string;
  readonly adminCaller: Caller;
}

export interface Invocation<T> {
  readonly value: T;
  readonly attempts: number;
  readonly ms: number;
}

/** One attempt of a call; a retry with the same idempotency key attaches to the same invocation. */
const ATTEMPT_MS = 5000;

/**
 * One call, retried with the same idempotency key until it answers 200 or the bound passes: what a client does
 * through a fail-over. The idempotency key makes a retry return the first attempt's answer, never run twice.
 */
export async function callWithRetries<T>(
  caller: Caller,
  call: Omit<HttpCallRequest, 'timeoutMs'>,
  deadline: Deadline,
  /** Statuses that count as an answer (a `/send` answers 202). */
  accepted: readonly number[] = [200],
): Promise<Invocation<T>> {
  const started = Date.now();
  let attempts = 0;
  let last = '';
  while (!deadline.expired()) {
    attempts++;
    try {
      const res = await caller.http({ ...call, timeoutMs: Math.max(1, Math.min(ATTEMPT_MS, deadline.remainingMs())) });
      if (accepted.includes(res.status)) return { value: JSON.parse(res.body) as T, attempts, ms: Date.now() - started };
      last = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new VerifyError(
    `${call.method ?? 'GET'} ${call.url}: no answer 200 within ${((Date.now() - started) / 1000).toFixed(1)} s (${attempts} attempts); last: ${last}`,
  );
}

/** Registers the deployment through the admin API, as a user does; returns the services it reports. */
export async function registerDeployment(endpoints: ServiceEndpoints, uri: string, deadline: Deadline): Promise<string[]> {
  let last = '';
  while (!deadline.expired()) {
    try {
      const res = await endpoints.adminCaller.http({
        url: `${endpoints.admin}/deployments`,
        method: 'POST',
        body: JSON.stringify({ uri }),
        timeoutMs: Math.min(ATTEMPT_MS, deadline.remainingMs()),
      });
      if (res.status === 201 || res.status === 200) {
        const body = JSON.parse(res.body) as { services?: { name: string }[] };
        return (body.services ?? []).map((s) => s.name);
      }
      last = `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(500);
  }
  throw new VerifyError(`POST ${endpoints.admin}/deployments {"uri": "${uri}"} did not succeed: ${last}`);
}

export interface CounterOutcome {
  readonly adds: number;
  readonly answers: readonly number[];
  readonly final: number;
  /** Per killed node: from its SIGKILL until the first add after it answered. */
  readonly kills: readonly {
    readonly node: string;
    readonly firstAnswerMs: number;
    readonly slowestAddMs: number;
    readonly retried: number;
  }[];
  readonly slowestAddMs: number;
}

const seq = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Adds to one counter key `addsPerPhase` times, then SIGKILLs each of `victims` in turn, adds again while it is
 * down, and restarts it on its data before the next. Every add has its own idempotency key. The answers must be
 * exactly 1..N and the final count N.
 */
export async function counterThroughKills(
  endpoints: ServiceEndpoints,
  cluster: ClusterControl,
  options: {
    readonly key: string;
    readonly addsPerPhase: number;
    readonly victims: readonly number[];
    readonly deadline: Deadline;
    readonly callBoundMs: number;
  },
): Promise<CounterOutcome> {
  const answers: number[] = [];
  const kills: CounterOutcome['kills'][number][] = [];
  let slowest = 0;
  const add = async (): Promise<Invocation<number>> => {
    const n = answers.length + 1;
    const result = await callWithRetries<number>(
      endpoints.caller,
      {
        url: `${endpoints.ingress}/${COUNTER_OBJECT}/${options.key}/add`,
        method: 'POST',
        headers: { 'idempotency-key': `${options.key}-add-${n}` },
      },
      options.deadline.within(options.callBoundMs),
    );
    answers.push(result.value);
    slowest = Math.max(slowest, result.ms);
    return result;
  };
  for (let i = 0; i < options.addsPerPhase; i++) await add();
  for (const victim of options.victims) {
    const killedAt = Date.now();
    await cluster.kill(victim);
    let firstAnswerMs = 0;
    let slowestHere = 0;
    let retried = 0;
    for (let i = 0; i < options.addsPerPhase; i++) {
      const r = await add();
      if (i === 0) firstAnswerMs = Date.now() - killedAt;
      slowestHere = Math.max(slowestHere, r.ms);
      if (r.attempts > 1) retried++;
    }
    kills.push({ node: cluster.nodeNames[victim], firstAnswerMs, slowestAddMs: slowestHere, retried });
    await cluster.restart(victim);
  }
  // A retry of an add that already answered must return its first answer, not add again.
  const again = await callWithRetries<number>(
    endpoints.caller,
    {
      url: `${endpoints.ingress}/${COUNTER_OBJECT}/${options.key}/add`,
      method: 'POST',
      headers: { 'idempotency-key': `${options.key}-add-1` },
    },
    options.deadline.within(options.callBoundMs),
  );
  const state = await callWithRetries<{ count: number }>(
    endpoints.caller,
    { url: `${endpoints.ingress}/${COUNTER_OBJECT}/${options.key}/state`, method: 'POST' },
    options.deadline.within(options.callBoundMs),
  );
  const expected = seq(1, answers.length);
  if (answers.join(',') !== expected.join(',')) {
    throw new VerifyError(`the counter answered ${answers.join(', ')}; expected exactly 1..${answers.length}`);
  }
  if (again.value !== 1)
    throw new VerifyError(`a retry of the first add (same idempotency key) answered ${again.value}, not its first answer 1`);
  if (state.value.count !== answers.length) throw new VerifyError(`the final count is ${state.value.count}, expected ${answers.length}`);
  return { adds: answers.length, answers, final: state.value.count, kills, slowestAddMs: slowest };
}

export interface SleepFailoverOutcome {
  readonly invocationId: string;
  readonly node: string;
  readonly sleepMs: number;
  /** From the SIGKILL of the partition's leader until the invocation's result arrived. */
  readonly completedAfterKillMs: number;
  /** From when its timer was due (sent + sleep) until the result arrived: the delay the fail-over added. */
  readonly lateMs: number;
  readonly result: SleepOutcome;
  readonly marks: number;
}

interface InvocationRow {
  readonly status: string;
  readonly partition_key: string | number;
}

/** One row of `sys_invocation` through the admin API's SQL endpoint. */
async function invocationRow(endpoints: ServiceEndpoints, id: string): Promise<InvocationRow | undefined> {
  const res = await endpoints.adminCaller.http({
    url: `${endpoints.admin}/query`,
    method: 'POST',
    headers: { accept: 'application/json' },
    // `sys_invocation` has no partition key; the table it is built on, `sys_invocation_status`, has.
    body: JSON.stringify({
      query: `SELECT status, CAST(partition_key AS VARCHAR) AS partition_key FROM sys_invocation_status WHERE id = '${id}'`,
    }),
    timeoutMs: ATTEMPT_MS,
  });
  if (res.status !== 200) throw new Error(`admin /query: HTTP ${res.status}: ${res.body.slice(0, 600)}`);
  const rows = (JSON.parse(res.body) as { rows?: InvocationRow[] }).rows ?? [];
  return rows[0];
}

/**
 * Starts `sleepThenMark` (a durable sleep, then one state write), waits until Restate reports it suspended,
 * SIGKILLs the node leading its partition, and waits for the result: it must come, with the state written once.
 */
export async function sleepThroughLeaderKill(
  endpoints: ServiceEndpoints,
  cluster: ClusterControl,
  options: { readonly key: string; readonly sleepMs: number; readonly deadline: Deadline },
): Promise<SleepFailoverOutcome> {
  const sentAt = Date.now();
  const sent = await callWithRetries<{ invocationId: string }>(
    endpoints.caller,
    {
      url: `${endpoints.ingress}/${COUNTER_OBJECT}/${options.key}/sleepThenMark/send`,
      method: 'POST',
      headers: { 'idempotency-key': `${options.key}-sleep` },
      body: JSON.stringify(options.sleepMs),
    },
    options.deadline.within(30_000),
    [200, 202],
  );
  const id = sent.value.invocationId;
  let row: InvocationRow | undefined;
  let seen = 'not queried yet';
  const until = options.deadline.within(Math.min(options.sleepMs, 15_000));
  while (!until.expired()) {
    row = await invocationRow(endpoints, id).catch((error: Error) => {
      seen = error.message;
      return undefined;
    });
    if (row) seen = `status ${row.status}`;
    if (row?.status === 'suspended') break;
    await sleep(100);
  }
  if (row?.status !== 'suspended') {
    throw new VerifyError(`invocation ${id} did not suspend in its sleep (last seen: ${seen}); the scenario needs a suspended invocation`);
  }
  const leader = await cluster.leaderOfKey(BigInt(row.partition_key));
  const killedAt = Date.now();
  await cluster.kill(leader);
  const result = await callWithRetries<SleepOutcome>(
    endpoints.caller,
    { url: `${endpoints.ingress}/restate/invocation/${id}/attach` },
    options.deadline.within(options.sleepMs + 60_000),
  );
  const completedAfterKillMs = Date.now() - killedAt;
  const lateMs = Math.max(0, Date.now() - (sentAt + options.sleepMs));
  const state = await callWithRetries<{ marks: number }>(
    endpoints.caller,
    { url: `${endpoints.ingress}/${COUNTER_OBJECT}/${options.key}/state`, method: 'POST' },
    options.deadline.within(30_000),
  );
  if (result.value.marks !== 1 || state.value.marks !== 1) {
    throw new VerifyError(
      `the state written after the sleep was applied ${state.value.marks} times (the handler saw ${result.value.marks}); expected exactly once`,
    );
  }
  await cluster.restart(leader);
  return {
    invocationId: id,
    node: cluster.nodeNames[leader],
    sleepMs: options.sleepMs,
    completedAfterKillMs,
    lateMs,
    result: result.value,
    marks: state.value.marks,
  };
}
