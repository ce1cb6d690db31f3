/**
 * Running the `go` command for the control plane build, and turning its failures into one line that names what is
 * missing and how to get it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { ControlPlaneError, GET_GO } from './errors';

/**
 * The environment of every `go` command here: static binaries (`CGO_ENABLED=0`, as Kubernetes builds them), the Go
 * on PATH and no other (`GOTOOLCHAIN=local`: never a toolchain download), our go.mod as it is (`-mod=readonly`, no
 * workspace), and no VCS stamp (the module sits in this repository's git tree). The user's GOFLAGS would change
 * what is built (e.g. `-race`), so they are replaced, not extended. GOPROXY, GOMODCACHE and GOCACHE are kept:
 * Go's own caches, under the user's home by default, are what make a second build fast.
 */
export function goEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false', GOWORK: 'off' };
}

export interface GoResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GoOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Sees each line of stderr as it comes (`go build -v` names each package there as it is compiled). */
  readonly onStderrLine?: (line: string) => void;
  /** Where the whole output of a failed command is written, and named in its message. */
  readonly logFile?: string;
  /** Resolve with the exit status instead of rejecting when it is not 0 (Go found and started). @default false */
  readonly allowFailure?: boolean;
}

/** Runs `go args…`; rejects with a one-line ControlPlaneError when Go is missing or the command fails. */
export function runGo(args: readonly string[], options: GoOptions): Promise<GoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', [...args], { cwd: options.cwd, env: options.env ?? goEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      if (!options.onStderrLine) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach((line) => options.onStderrLine!(line));
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new ControlPlaneError(
          error.code === 'ENOENT' ? `Go is not installed (no \`go\` on PATH): ${GET_GO}` : `cannot run go: ${error.message}`,
        ),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0 || (options.allowFailure && !signal)) return resolve({ code, stdout, stderr });
      if (options.logFile) writeFileSync(options.logFile, `$ go ${args.join(' ')}\n${stdout}${stderr}`);
      reject(new ControlPlaneError(explainGoFailure(args, stderr, signal, options.env ?? process.env, options.logFile)));
    });
  });
}

/** One line out of a failed go command's stderr: what was missing, and how to get it. */
export function explainGoFailure(
  args: readonly string[],
  stderr: string,
  signal: NodeJS.Signals | null,
  env: NodeJS.ProcessEnv,
  logFile?: string,
): string {
  const command = `go ${args[0] ?? ''}`;
  if (signal) return `${command} was stopped by ${signal}`;
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const whole = logFile ? ` (whole output: ${logFile})` : '';
  const toolchain = lines.find((line) => /requires go >= \S+ \(running go \S+/.test(line));
  if (toolchain) return `${toolchain.replace(/^go: /, '')}: ${GET_GO}`;
  const proxy = env.GOPROXY || 'https://proxy.golang.org,direct';
  // `go: k8s.io/api@v0.37.2: reading https://…: 404 Not Found`, or the module on its own line after `… requires`.
  const fetch = lines.find((line) => /\S+@v\S+: .*(reading|lookup|dial|GOPROXY|not found|Not Found|Gone|unrecognized|timeout)/i.test(line));
  if (fetch) {
    const [, module, reason] = /(\S+@v[^:\s]+): (.*)$/.exec(fetch) ?? [];
    return (
      `the Go module proxy (GOPROXY=${proxy}) did not give ${module}: ${reason}; make the proxy reachable (or set GOPROXY to one ` +
      'that has it), or fill the module cache where it is: `cd lib/control-plane && go mod download`'
    );
  }
  const checksum = lines.find((line) => /checksum mismatch|SECURITY ERROR|missing go\.sum entry/.test(line));
  if (checksum) return `lib/control-plane/go.sum does not match what Go found: ${checksum.replace(/^go: /, '')}${whole}`;
  const first = lines.find((line) => line.startsWith('go: ') || /\.go:\d+/.test(line)) ?? lines[lines.length - 1] ?? 'no output';
  return `${command} failed: ${first}${whole}`;
}
