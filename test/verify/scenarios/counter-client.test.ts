import { Deadline } from '../../../lib/verify/deadline';
import type { HttpCallRequest, HttpCallResponse } from '../../../lib/verify/http-call';
import { CounterClient } from '../../../lib/verify/scenarios/counter-client';

/**
 * The ingress side of the contract, as Restate keeps it for the Counter object: an add with an idempotency key
 * seen before answers its first answer. `extra` shifts the stored count (to play a lost or doubled write), and the
 * first `failFirst` calls are refused (a node going away).
 */
function ingress(options: { extra?: number; failFirst?: number } = {}) {
  let count = 0;
  let calls = 0;
  const seen = new Map<string, number>();
  return {
    http: async (call: HttpCallRequest): Promise<HttpCallResponse> => {
      calls++;
      if (calls <= (options.failFirst ?? 0)) throw new Error('connect ECONNREFUSED');
      if (call.url.endsWith('/state')) return { status: 200, body: JSON.stringify({ count: count + (options.extra ?? 0), marks: 0 }) };
      const key = call.headers?.['idempotency-key'] ?? '';
      if (!seen.has(key)) seen.set(key, ++count);
      return { status: 200, body: String(seen.get(key)) };
    },
  };
}

const endpoints = (caller: ReturnType<typeof ingress>) => ({
  ingress: 'http://restate:8080',
  caller,
  admin: 'http://restate:9070',
  adminCaller: caller,
});

describe('CounterClient', () => {
  test('GIVEN adds acknowledged 1..N and a count of N WHEN verified THEN it gives the account', async () => {
    const client = new CounterClient(endpoints(ingress()), 'k');
    await client.addMany(5, Deadline.in(5000));
    await expect(client.verify(Deadline.in(5000))).resolves.toBe(
      'counter k: 5 acknowledged adds answered exactly 1..5, the count is 5, a retried idempotency key answered its first answer',
    );
  });

  test('GIVEN a count above the acknowledged adds WHEN verified THEN it names writes applied twice', async () => {
    const client = new CounterClient(endpoints(ingress({ extra: 1 })), 'k');
    await client.addMany(3, Deadline.in(5000));
    await expect(client.verify(Deadline.in(5000))).rejects.toThrow(
      'counter k: the count is 4 after 3 acknowledged adds (writes applied twice)',
    );
  });

  test('GIVEN a count below the acknowledged adds WHEN verified THEN it names acknowledged writes lost', async () => {
    const client = new CounterClient(endpoints(ingress({ extra: -1 })), 'k');
    await client.addMany(3, Deadline.in(5000));
    await expect(client.verify(Deadline.in(5000))).rejects.toThrow('(acknowledged writes lost)');
  });

  test('GIVEN refused attempts while a writer runs WHEN it stops THEN the retries are counted, each add applied once', async () => {
    const client = new CounterClient(endpoints(ingress({ failFirst: 2 })), 'k');
    const writer = client.startWriter(Deadline.in(10_000));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const stats = await writer.stop();
    expect(stats.failedAttempts).toBe(2);
    expect(stats.retriedWrites).toBe(1);
    expect(stats.writes).toBe(client.acknowledged);
    await expect(client.verify(Deadline.in(5000))).resolves.toContain(`answered exactly 1..${client.acknowledged}`);
  });
});
