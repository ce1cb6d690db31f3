/**
 * The stand-in kubelet's node endpoint: the HTTPS server the API server reaches at the Node's address and
 * `status.daemonEndpoints.kubeletEndpoint.Port` for `kubectl logs` and `kubectl exec`. It runs as a process of its own
 * inside the control plane's network namespace (./kubelet-stand-in.ts starts it), on loopback there only.
 *
 * Derived from kubernetes v1.37.2 (the pin of ./go.mod):
 * - Routes: `pkg/kubelet/server/server.go` (`/containerLogs/{podNamespace}/{podID}/{containerName}`, served by
 *   getContainerLogs: the log as a chunked body, or 400 with the runtime's error as text, e.g. kubelet_pods.go's
 *   "previous terminated container %q in pod %q not found"; `/exec/{podNamespace}/{podID}/{containerName}`).
 * - Exec over WebSocket, not SPDY: the API server proxies a `v5.channel.k8s.io` WebSocket upgrade to the kubelet
 *   unchanged when the Node lists `ExtendWebSocketsToKubelet` in `status.declaredFeatures`
 *   (`pkg/registry/core/pod/rest/subresources.go`, ExecREST.Connect and checkNodeSupportsWebsockets; the gate is Beta
 *   and on by default since 1.36, `pkg/features/kube_features.go`), and otherwise translates it to SPDY toward the
 *   kubelet. The kubelet answers it with the same translator the API server has
 *   (`server.go` getExec → k8s.io/apiserver `pkg/util/proxy/streamtranslator.go`), whose wire format this serves:
 *   binary messages whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; 255 + channel
 *   half-closes, v5 only: k8s.io/streaming `pkg/httpstream/wsstream/conn.go`), an empty first message on the lowest
 *   writable channel (`pkg/util/proxy/websocket.go` createWebSocketStreams), and at the end one metav1.Status on the
 *   error channel: Success, or Failure with reason NonZeroExitCode and a cause ExitCode whose message is the code
 *   (streamtranslator.go codeExitToStatusError), which kubectl turns into its own exit status.
 * - Who may call: a client certificate signed by the cluster CA (the kubelet's x509 authentication); the kubelet's
 *   webhook authorization (a SubjectAccessReview per call) is not done.
 *
 * What a container printed is a file the stand-in was given (`<state>/logs/<ns>/<pod>/<container>.log`, and
 * `….previous.log` for the instance before the last restart): nothing here runs a pod's own command. `exec` runs the
 * command as a child process of this one, in the namespace, with npm's `restatectl` and `restate-server` (the binaries
 * verify maps the images to) first on PATH; not in the container's filesystem, user or environment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';

/** What the stand-in passes (as JSON, the one argument of this program). */
export interface KubeletNodeConfig {
  readonly port: number;
  readonly host: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  /** Where the containers' logs are (`logs/<ns>/<pod>/<container>[.previous].log`). */
  readonly stateDir: string;
  /** Folders put first on PATH for exec'd commands. */
  readonly path: readonly string[];
}

/** The remotecommand subprotocol served (k8s.io/apimachinery `pkg/util/remotecommand/constants.go`). */
export const EXEC_PROTOCOL = 'v5.channel.k8s.io';
/** The answer to an exec the stand-in does not serve (SPDY, or a WebSocket of an older subprotocol). */
export const SPDY_REFUSAL = `the stand-in kubelet serves exec over a WebSocket with subprotocol ${EXEC_PROTOCOL} only (not SPDY)`;
const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The log file of a container, or of its previous instance. */
export function logFile(stateDir: string, namespace: string, pod: string, container: string, previous: boolean): string {
  return join(stateDir, 'logs', namespace, pod, `${container}${previous ? '.previous' : ''}.log`);
}

/** Splits `/<route>/<ns>/<pod>/<container>`; undefined when the path is not one. */
function target(url: URL, route: string): { namespace: string; pod: string; container: string } | undefined {
  const parts = url.pathname.split('/').map(decodeURIComponent);
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== route) return undefined;
  const [, , namespace, pod, container] = parts;
  return namespace && pod && container ? { namespace, pod, container } : undefined;
}

/** The last `n` lines of `text` (kubectl's --tail: `tailLines`). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split(/(?<=\n)/);
  return lines.slice(-n).join('');
}

function containerLogs(config: KubeletNodeConfig, url: URL, response: ServerResponse) {
  const where = target(url, 'containerLogs');
  if (!where) return plain(response, 404, `no such path: ${url.pathname}`);
  const previous = url.searchParams.get('previous') === 'true';
  const file = logFile(config.stateDir, where.namespace, where.pod, where.container, previous);
  if (!existsSync(file)) {
    // kubelet_pods.go validateContainerLogStatus: a container with no instance before the running one
    if (previous) return plain(response, 400, `previous terminated container "${where.container}" in pod "${where.pod}" not found`);
    return plain(response, 200, '');
  }
  const text = readFileSync(file, 'utf8');
  const tail = url.searchParams.get('tailLines');
  plain(response, 200, tail === null ? text : tailLines(text, Number(tail)));
}

function plain(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(body);
}

/** metav1.Status for the error channel, as streamtranslator.go writes it. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): object {
  if (code === 0) return { metadata: {}, status: 'Success' };
  if (code === null)
    return { metadata: {}, status: 'Failure', message: `command terminated by signal ${signal}`, reason: 'InternalError', code: 500 };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command terminated with exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Where an exec'd command runs: the program prefix that enters the pod (its mount namespace and uid), its env. */
export interface PodSandbox {
  readonly prefix: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** What a kubelet that runs pods (./podlet.ts) adds: the pod an exec enters; undefined for a pod it does not run. */
export interface KubeletNodeHooks {
  sandbox(namespace: string, pod: string, container: string): PodSandbox | undefined;
}

function exec(config: KubeletNodeConfig, url: URL, socket: WebSocket, hooks?: KubeletNodeHooks) {
  const command = url.searchParams.getAll('command');
  const where = target(url, 'exec')!;
  const sandbox = hooks?.sandbox(where.namespace, where.pod, where.container);
  const send = (channel: number, data: Buffer | string) => {
    if (socket.readyState === socket.OPEN) socket.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  };
  const finish = (status: object) => {
    send(CHANNEL.error, JSON.stringify(status));
    socket.close(1000);
  };
  const stdout = url.searchParams.get('output') === '1';
  const stderr = url.searchParams.get('error') === '1';
  const stdin = url.searchParams.get('input') === '1';
  // websocket.go createWebSocketStreams: the client learns the connection is up from this empty message
  send(stdout ? CHANNEL.stdout : stderr ? CHANNEL.stderr : CHANNEL.error, '');
  if (command.length === 0)
    return finish({ metadata: {}, status: 'Failure', message: 'no command given', reason: 'BadRequest', code: 400 });
  // A kubelet that runs pods execs only into a running container (the runtime's `container not found` otherwise).
  if (hooks && !sandbox)
    return finish({
      metadata: {},
      status: 'Failure',
      message: `container not found ("${where.container}")`,
      reason: 'InternalError',
      code: 500,
    });
  let child: ChildProcess;
  try {
    const stdio = [stdin ? 'pipe' : 'ignore', stdout ? 'pipe' : 'ignore', stderr ? 'pipe' : 'ignore'] as const;
    child = sandbox
      ? spawn(sandbox.prefix[0], [...sandbox.prefix.slice(1), ...command], { cwd: sandbox.cwd, env: { ...sandbox.env }, stdio: [...stdio] })
      : spawn(command[0], command.slice(1), {
          cwd: config.stateDir,
          env: { ...process.env, PATH: [...config.path, process.env.PATH ?? ''].join(':') },
          stdio: [...stdio],
        });
  } catch (error) {
    return finish({ metadata: {}, status: 'Failure', message: (error as Error).message, reason: 'InternalError', code: 500 });
  }
  child.stdout?.on('data', (chunk: Buffer) => send(CHANNEL.stdout, chunk));
  child.stderr?.on('data', (chunk: Buffer) => send(CHANNEL.stderr, chunk));
  child.stdin?.on('error', () => {}); // a command that exits without reading its input
  child.once('error', (error) => {
    // e.g. ENOENT: what a runtime answers for an executable that is not there (the OCI runtime's exit code 127 aside)
    finish({ metadata: {}, status: 'Failure', message: `exec failed: ${error.message}`, reason: 'InternalError', code: 500 });
  });
  child.once('close', (code, signal) => finish(exitStatus(code, signal)));
  socket.on('message', (message: Buffer) => {
    if (message.length === 0) return;
    if (message[0] === CHANNEL.close) {
      if (message[1] === CHANNEL.stdin) child.stdin?.end();
      return;
    }
    if (message[0] === CHANNEL.stdin) child.stdin?.write(message.subarray(1));
    // CHANNEL.resize: no terminal here (tty is not served)
  });
  socket.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** Starts the node endpoint; prints `listening` once it accepts connections. */
export function serveKubeletNode(config: KubeletNodeConfig, hooks?: KubeletNodeHooks) {
  const options: ServerOptions = {
    cert: readFileSync(config.cert),
    key: readFileSync(config.key),
    ca: readFileSync(config.ca),
    requestCert: true,
    rejectUnauthorized: true,
  };
  const server = createServer(options, (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'https://kubelet');
    if (url.pathname === '/healthz') return plain(response, 200, 'ok');
    if (url.pathname.startsWith('/containerLogs/')) return containerLogs(config, url, response);
    if (url.pathname.startsWith('/exec/')) return plain(response, 400, SPDY_REFUSAL);
    plain(response, 404, `the stand-in kubelet does not serve ${url.pathname}`);
  });
  const websockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(EXEC_PROTOCOL) ? EXEC_PROTOCOL : false),
  });
  server.on('upgrade', (request: IncomingMessage, socket, head) => {
    const url = new URL(request.url ?? '/', 'https://kubelet');
    const refuse = (status: string, text: string): void => {
      const head = `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close`;
      socket.end(`${head}\r\n\r\n${text}`);
    };
    const protocols = `${request.headers['sec-websocket-protocol'] ?? ''}`.split(',').map((p) => p.trim());
    if (!target(url, 'exec')) return refuse('404 Not Found', `the stand-in kubelet does not serve ${url.pathname}`);
    if (request.headers.upgrade?.toLowerCase() !== 'websocket' || !protocols.includes(EXEC_PROTOCOL))
      return refuse('400 Bad Request', SPDY_REFUSAL);
    websockets.handleUpgrade(request, socket, head, (ws) => exec(config, url, ws, hooks));
  });
  server.listen(config.port, config.host, () => process.stdout.write('listening\n'));
  return server;
}

if (require.main === module) serveKubeletNode(JSON.parse(process.argv[2]) as KubeletNodeConfig);
