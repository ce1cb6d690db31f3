import { request } from 'node:http';
import { createConnection } from 'node:net';

export interface HttpCallRequest {
  readonly url: string;
  /** @default 'GET' */
  readonly method?: string;
  /** @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is (JSON text for Restate's ingress and admin API). */
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface HttpCallResponse {
  readonly status: number;
  readonly body: string;
}

/** One HTTP/1.1 request with a hard time limit; rejects on a connection error or the time limit. */
export function httpCall(call: HttpCallRequest): Promise<HttpCallResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(call.body));
    }
    const req = request(call.url, { method: call.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${call.timeoutMs} ms`)), call.timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(call.body);
  });
}

/** Whether a TCP connection to host:port is accepted within the time limit, and if not, why. */
export function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ readonly connected: boolean; readonly error?: string }> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (connected: boolean, error?: string): void => {
      socket.destroy();
      resolve(error === undefined ? { connected } : { connected, error });
    };
    socket.setTimeout(timeoutMs, () => done(false, `timed out after ${timeoutMs} ms`));
    socket.once('connect', () => done(true));
    socket.once('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
  });
}
