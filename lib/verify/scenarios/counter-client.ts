import { COUNTER_OBJECT } from '../app/counter-service';
import { type Deadline, sleep } from '../deadline';
import { VerifyError } from '../errors';
import { callWithRetries, type ServiceEndpoints } from '../service-checks';

/** What a writer saw while it ran: every logical write, and every attempt that did not answer. */
export interface WriterStats {
  readonly writes: number;
  /** Attempts that failed: no answer within the attempt time, a connection error or a status other than 200. */
  readonly failedAttempts: number;
  /** Logical writes that needed more than one attempt. */
  readonly retriedWrites: number;
  /** The slowest logical write, retries included. */
  readonly slowestMs: number;
  /** From the first failed attempt to the last answer after the last one: how long writes were disturbed. */
  readonly disturbedMs: number;
}

/**
 * The SDK counter (app/counter-service.ts) through the ingress, one key, as an application calls it: every add
 * has its own idempotency key (`<key>-add-<n>`) and is retried with it until it answers, so a retry after a lost
 * answer returns the first answer instead of adding again. It keeps the ledger of acknowledged answers, which
 * `verify` compares with the state: exactly 1..N, final count N (nothing acknowledged lost, nothing applied twice).
 */
export class CounterClient {
  private readonly answers: number[] = [];

  constructor(
    private readonly endpoints: ServiceEndpoints,
    public readonly key: string,
    /** Time of one attempt. @default 5000 */
    private readonly attemptMs = 5000,
  ) {}

  /** Acknowledged adds so far. */
  get acknowledged(): number {
    return this.answers.length;
  }

  private url(handler: string): string {
    return `${this.endpoints.ingress}/${COUNTER_OBJECT}/${encodeURIComponent(this.key)}/${handler}`;
  }

  /** One attempt of add number `n`; resolves with the answer or the reason it failed. */
  private async attempt(n: number): Promise<{ readonly value?: number; readonly error?: string }> {
    try {
      const res = await this.endpoints.caller.http({
        url: this.url('add'),
        method: 'POST',
        headers: { 'idempotency-key': `${this.key}-add-${n}` },
        timeoutMs: this.attemptMs,
      });
      if (res.status === 200) return { value: JSON.parse(res.body) as number };
      return { error: `HTTP ${res.status}: ${res.body.slice(0, 200)}` };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  /** The next add, retried with its idempotency key until it answers or `bound` passes. */
  async add(
    bound: Deadline,
  ): Promise<{ readonly value: number; readonly attempts: number; readonly ms: number; readonly errors: readonly string[] }> {
    const n = this.answers.length + 1;
    const started = Date.now();
    const errors: string[] = [];
    while (!bound.expired()) {
      const r = await this.attempt(n);
      if (r.value !== undefined) {
        this.answers.push(r.value);
        return { value: r.value, attempts: errors.length + 1, ms: Date.now() - started, errors };
      }
      errors.push(r.error ?? 'no answer');
      await sleep(200);
    }
    throw new VerifyError(
      `add #${n} of counter ${this.key}: no answer within ${((Date.now() - started) / 1000).toFixed(1)} s (${errors.length} attempts); last: ${errors[errors.length - 1] ?? 'none'}`,
    );
  }

  /** `count` adds one after the other. */
  async addMany(count: number, bound: Deadline): Promise<void> {
    for (let i = 0; i < count; i++) await this.add(bound);
  }

  /**
   * Adds one after the other until `stop()` is called, each retried until it answers (within `perWriteMs`, and
   * never past `deadline`); `stop()` lets the write in flight finish and resolves with what the writer saw.
   */
  startWriter(deadline: Deadline, perWriteMs = 60_000): { stop(): Promise<WriterStats> } {
    let running = true;
    let writes = 0;
    let failedAttempts = 0;
    let retriedWrites = 0;
    let slowestMs = 0;
    let firstFailure: number | undefined;
    let lastRecovered: number | undefined;
    let failure: Error | undefined;
    const loop = (async () => {
      while (running) {
        try {
          const r = await this.add(deadline.within(perWriteMs));
          writes++;
          slowestMs = Math.max(slowestMs, r.ms);
          if (r.attempts > 1) {
            retriedWrites++;
            failedAttempts += r.attempts - 1;
            firstFailure ??= Date.now() - r.ms;
            lastRecovered = Date.now();
          }
        } catch (error) {
          failure = error as Error;
          return;
        }
        await sleep(50);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        if (failure) throw failure;
        const disturbedMs = firstFailure === undefined || lastRecovered === undefined ? 0 : lastRecovered - firstFailure;
        return { writes, failedAttempts, retriedWrites, slowestMs, disturbedMs };
      },
    };
  }

  /**
   * Checks the ledger against the state: the acknowledged answers are exactly 1..N, a retry of add #1 with its
   * idempotency key answers 1 again, and the count is N. Returns a one-line account.
   */
  async verify(bound: Deadline): Promise<string> {
    const n = this.answers.length;
    const wrong = this.answers.findIndex((v, i) => v !== i + 1);
    if (wrong >= 0)
      throw new VerifyError(
        `counter ${this.key}: add #${wrong + 1} answered ${this.answers[wrong]} (answers ${this.answers.join(', ')}); expected exactly 1..${n}`,
      );
    if (n > 0) {
      const again = await callWithRetries<number>(
        this.endpoints.caller,
        { url: this.url('add'), method: 'POST', headers: { 'idempotency-key': `${this.key}-add-1` } },
        bound,
      );
      if (again.value !== 1)
        throw new VerifyError(
          `counter ${this.key}: a retry of add #1 (same idempotency key) answered ${again.value}, not its first answer 1`,
        );
    }
    const state = await callWithRetries<{ count: number }>(this.endpoints.caller, { url: this.url('state'), method: 'POST' }, bound);
    if (state.value.count !== n) {
      throw new VerifyError(
        `counter ${this.key}: the count is ${state.value.count} after ${n} acknowledged adds (${state.value.count < n ? 'acknowledged writes lost' : 'writes applied twice'})`,
      );
    }
    return `counter ${this.key}: ${n} acknowledged adds answered exactly 1..${n}, the count is ${n}, a retried idempotency key answered its first answer`;
  }
}
