/**
 * A small Restate service, written with the TypeScript SDK as an application team would: verify's live run
 * starts it as an application pod, registers it through the admin API and calls it through the ingress.
 * Run as `node --import tsx counter-service.ts HOST:PORT`; it logs one line when it listens.
 */
import './promise-with-resolvers';
import * as restate from '@restatedev/restate-sdk';

/** What `sleepThenMark` returns: how often the code after the sleep wrote its state, as the state says. */
export interface SleepOutcome {
  readonly marks: number;
  readonly sleptMs: number;
}

export const COUNTER_OBJECT = 'Counter';

const counter = restate.object({
  name: COUNTER_OBJECT,
  handlers: {
    /** Adds one to the key's count and returns the new count. */
    add: async (ctx: restate.ObjectContext): Promise<number> => {
      const next = ((await ctx.get<number>('count')) ?? 0) + 1;
      ctx.set('count', next);
      return next;
    },
    /** Suspends in a durable timer for `ms`, then counts one mark: a replay after a crash must not count twice. */
    sleepThenMark: async (ctx: restate.ObjectContext, ms: number): Promise<SleepOutcome> => {
      const before = await ctx.date.now();
      await ctx.sleep(ms);
      const after = await ctx.date.now();
      const marks = ((await ctx.get<number>('marks')) ?? 0) + 1;
      ctx.set('marks', marks);
      return { marks, sleptMs: after - before };
    },
    /** The key's state, read without the exclusive lock. */
    state: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext): Promise<{ count: number; marks: number }> => ({
        count: (await ctx.get<number>('count')) ?? 0,
        marks: (await ctx.get<number>('marks')) ?? 0,
      }),
    ),
  },
});

function main(): void {
  const [host, port] = (process.argv[2] ?? '').split(':');
  if (!host || !port) {
    process.stderr.write('usage: counter-service.ts HOST:PORT\n');
    process.exit(2);
  }
  // Request-response mode: the SDK ends the attempt when a handler awaits a timer, so a sleeping invocation is
  // suspended in Restate (no open stream to a node) — the case a fail-over must carry over.
  const server = restate.createEndpointHandler({ services: [counter], bidirectional: false });
  const http2 = require('node:http2') as typeof import('node:http2');
  http2.createServer(server).listen(Number(port), host, () => process.stdout.write(`listening on ${host}:${port}\n`));
}

if (require.main === module) main();
