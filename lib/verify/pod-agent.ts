/**
 * Runs inside the sandbox as one emulated pod (its own uid, so the NetworkPolicy rules can tell it apart):
 * reads one JSON request per line on stdin, answers one JSON line per request on stdout. Not meant to be run
 * by hand.
 */
import { createInterface } from 'node:readline';
import { httpCall, tcpConnect } from './http-call';
import type { AgentReply, AgentRequest } from './pod-protocol';

const reply = (r: AgentReply): void => void process.stdout.write(`${JSON.stringify(r)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as AgentRequest;
  const work =
    req.op === 'http'
      ? httpCall(req.call).then((res) => reply({ id: req.id, ok: true, status: res.status, body: res.body }))
      : tcpConnect(req.host, req.port, req.timeoutMs).then((res) =>
          reply({ id: req.id, ok: true, connected: res.connected, ...(res.error ? { error: res.error } : {}) }),
        );
  work.catch((error: Error) => reply({ id: req.id, ok: false, error: error.message }));
});
process.stdout.write(`${JSON.stringify({ ready: process.getuid?.() ?? -1 })}\n`);
