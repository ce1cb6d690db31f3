/**
 * A small client of the test control plane's API server for the programs that run inside its network namespace
 * (./podlet.ts): JSON over HTTPS with a client certificate, one keep-alive connection pool, no kubectl process per call.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server returns them
export type Obj = any;

export interface ApiAnswer {
  readonly status: number;
  readonly body: Obj;
}

export class ApiClient {
  private readonly agent: Agent;

  constructor(
    private readonly server: string,
    files: { readonly ca: string; readonly cert: string; readonly key: string },
  ) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 8,
      ca: readFileSync(files.ca),
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
    });
  }

  /** One call; resolves with any status (the caller decides), rejects only when the server cannot be reached. */
  call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiAnswer> {
    const url = new URL(path, this.server);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          timeout: 30_000,
          headers: { Accept: 'application/json', ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: Obj = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: kept as text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  /** GET that must answer 200. */
  async get(path: string): Promise<Obj> {
    const answer = await this.call('GET', path);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    return answer.body;
  }

  close(): void {
    this.agent.destroy();
  }
}
