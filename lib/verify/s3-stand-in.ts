import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import { accepts, portFree } from './local-cluster';
import type { S3Endpoint } from './object-store';
import { describeExit, ManagedProcess } from './managed-process';

/** The loopback address of the stand-in: apart from the nodes' 127.0.0.1… and never outside 127.0.0.0/8. */
export const S3_STAND_IN_IP = '127.0.0.200';
export const S3_STAND_IN_PORT = 9000;

/** s3rver's built-in account: dummy keys it accepts (it does not check V4 signatures). Not a secret. */
const S3RVER_KEY = 'S3RVER';

/** The npm package that serves the S3 API, and its version, for the report. */
export function s3rverVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('s3rver/package.json'), 'utf8')) as { version: string }).version;
}

export interface S3StandInProps {
  /** The bucket to create at start: the one of the config's destination. */
  readonly bucket: string;
  /** A folder of this run; the stand-in keeps its objects and its log in `<workDir>/s3`. */
  readonly workDir: string;
  /**
   * Loopback address to listen on.
   * @default S3_STAND_IN_IP
   */
  readonly ip?: string;
  /**
   * @default S3_STAND_IN_PORT
   */
  readonly port?: number;
}

/** One object of a listing. */
export interface S3Object {
  readonly key: string;
  readonly size: number;
}

/**
 * A local S3 API (npm `s3rver`, run by this Node.js as a child process) that stands in for the provider's
 * object store inside the sandbox. It serves the S3 calls and stores objects in a folder; it does not enforce
 * conditional writes (If-Match / If-None-Match) nor model any provider's consistency. Stopped by its PID.
 */
export class S3StandIn {
  public readonly endpoint: S3Endpoint;
  public readonly dir: string;
  public readonly logFile: string;
  private server?: ManagedProcess;
  private readonly ip: string;
  private readonly port: number;

  constructor(private readonly props: S3StandInProps) {
    this.ip = props.ip ?? S3_STAND_IN_IP;
    this.port = props.port ?? S3_STAND_IN_PORT;
    if (!/^127\.\d+\.\d+\.\d+$/.test(this.ip)) throw new RangeError(`the S3 stand-in may only listen on loopback, not ${this.ip}`);
    this.dir = join(props.workDir, 's3');
    this.logFile = join(this.dir, 's3rver.log');
    this.endpoint = { url: `http://${this.ip}:${this.port}`, accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY };
  }

  /** Starts the server with the bucket in place and waits until it answers the S3 API. */
  async start(deadline: Deadline): Promise<void> {
    if (!(await portFree(this.ip, this.port))) {
      throw new VerifyError(`port ${this.ip}:${this.port} (the S3 stand-in) is already taken by another process; stop it and run again`);
    }
    const data = join(this.dir, 'data');
    mkdirSync(data, { recursive: true });
    const bin = join(require.resolve('s3rver/package.json'), '..', 'bin', 's3rver.js');
    const args = [
      bin,
      '--directory',
      data,
      '--address',
      this.ip,
      '--port',
      String(this.port),
      '--silent',
      '--configure-bucket',
      this.props.bucket,
    ];
    const server = new ManagedProcess({
      label: 'the S3 stand-in (s3rver)',
      file: process.execPath,
      args,
      cwd: this.dir,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: this.dir },
      logFile: this.logFile,
    });
    this.server = server;
    await pollUntil(`the S3 stand-in answering on ${this.endpoint.url} with bucket ${this.props.bucket}`, deadline, 100, async () => {
      if (server.exit) throw new VerifyError(`the S3 stand-in exited during start-up (${describeExit(server.exit)}): ${this.logTail()}`);
      if (!(await accepts(this.ip, this.port))) return { done: false, reason: 'not listening yet' };
      await this.list('');
      return { done: true, value: undefined };
    });
  }

  /**
   * Every object under `prefix` (a key prefix, e.g. `restate-dev/snapshots/`), page after page (`pageSize`
   * keys each, S3's maximum by default). Uses ListObjects (V1) with `marker`: s3rver's ListObjectsV2
   * continuation tokens are DES-encrypted, which Node 20's OpenSSL 3 no longer offers (a second page is HTTP 500).
   */
  async list(prefix: string, pageSize = 1000): Promise<S3Object[]> {
    const objects: S3Object[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const query = new URLSearchParams({ prefix, 'max-keys': String(pageSize), ...(marker !== undefined ? { marker } : {}) });
      const { status, body } = await this.get(`/${encodeURIComponent(this.props.bucket)}?${query.toString()}`);
      if (status !== 200) throw new Error(`listing s3://${this.props.bucket}/${prefix} answered HTTP ${status}: ${body.slice(0, 300)}`);
      const before = objects.length;
      for (const m of body.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1])?.[1];
        const size = /<Size>(\d+)<\/Size>/.exec(m[1])?.[1];
        if (key !== undefined) objects.push({ key: unescapeXml(key), size: Number(size ?? 0) });
      }
      if (!/<IsTruncated>true<\/IsTruncated>/.test(body)) return objects;
      if (objects.length === before) throw new Error(`listing s3://${this.props.bucket}/${prefix}: a truncated page without objects`);
      marker = objects[objects.length - 1].key;
    }
    throw new Error(`listing s3://${this.props.bucket}/${prefix} did not end`);
  }

  /** The content of one object, as text. */
  async read(key: string): Promise<string> {
    const path = `/${encodeURIComponent(this.props.bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const { status, body } = await this.get(path);
    if (status !== 200) throw new Error(`reading s3://${this.props.bucket}/${key} answered HTTP ${status}: ${body.slice(0, 300)}`);
    return body;
  }

  private get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.ip, port: this.port, path, method: 'GET', timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from the S3 stand-in within 5 s (${path})`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** The stand-in's PID, once started. */
  processId(): number | undefined {
    return this.server?.pid;
  }

  /** SIGKILLs the stand-in by its PID and waits until it is gone. */
  async stop(): Promise<void> {
    await this.server?.stop('SIGKILL');
  }

  /** For signal handlers: SIGKILLs it by PID and waits (bounded) until it is gone. */
  stopSync(): void {
    this.server?.stopSync();
  }

  /** Removes its objects and its log. */
  removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private logTail(): string {
    if (!existsSync(this.logFile)) return '(no log)';
    const lines = readFileSync(this.logFile, 'utf8').split('\n').filter(Boolean);
    return lines.slice(-5).join(' | ') || '(empty log)';
  }
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
