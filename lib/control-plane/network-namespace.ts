/**
 * A private network namespace for one test control plane: it has only a loopback interface, so nothing started in
 * it can reach or be reached from any network, and each control plane can use the components' usual ports. That
 * interface also carries the stand-in kubelet's private node address (KUBELET_ADDRESS), which therefore exists only
 * here (no dummy interface: this machine's kernel has no `dummy` module).
 *
 * A holder process (`sleep`) keeps the namespace alive; everything else joins it with `nsenter`. Every process
 * here is started through `setpriv --pdeathsig KILL`, so the kernel kills it when the process that started it dies
 * (a test worker killed by jest, a Ctrl-C), whatever else goes wrong.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ControlPlaneError } from './errors';
import { KUBELET_ADDRESS } from './pki';

const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;

/** Runs a program so that it is killed when its parent (this Node process) dies. */
export const DIE_WITH_PARENT = ['setpriv', '--pdeathsig', 'KILL', '--'];

export interface NetworkNamespace {
  /** The holder's PID, whose /proc entry names the namespace. */
  readonly pid: number;
  /** The command-line prefix that runs a program inside the namespace (and kills it with its parent). */
  readonly enter: readonly string[];
  /** Ends the holder: the namespace goes away with the last process in it. */
  close(): void;
}

/**
 * Creates the namespace and brings its loopback up. As root it needs nothing else; otherwise it maps the user to
 * root in a new user namespace, which works where unprivileged user namespaces are enabled.
 */
export function openNetworkNamespace(timeoutMs = 10_000): Promise<NetworkNamespace> {
  const unshare = ['unshare', ...(isRoot ? [] : ['--user', '--map-root-user']), '--net', '--'];
  const script = `ip link set lo up && ip addr add ${KUBELET_ADDRESS}/32 dev lo && ip -o link show && echo ready && exec sleep infinity`;
  const holder: ChildProcess = spawn(unshare[0], [...unshare.slice(1), ...DIE_WITH_PARENT, 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      holder.kill('SIGKILL');
      reject(
        new ControlPlaneError(
          `cannot create a private network namespace for the control plane (\`${unshare.join(' ')} …\`): ${why}; ` +
            'it needs Linux with util-linux (unshare, nsenter, setpriv) and iproute2, run as root or with unprivileged user namespaces',
        ),
      );
    };
    const timer = setTimeout(() => fail(`no answer in ${timeoutMs} ms`), timeoutMs);
    holder.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    holder.once('error', (error) => fail(error.message));
    holder.once('exit', (code, signal) => fail(`it ended (${signal ?? `exit status ${code}`}): ${stderr.trim() || 'no output'}`));
    holder.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes('ready\n')) return;
      clearTimeout(timer);
      holder.removeAllListeners('exit');
      const links = stdout.split('\n').filter((line) => /^\d+: /.test(line));
      if (links.length !== 1 || !/^\d+: lo[:@]/.test(links[0])) {
        holder.kill('SIGKILL');
        reject(
          new ControlPlaneError(
            `refusing to start the control plane: its network namespace has interfaces besides lo: ${links.join('; ')}`,
          ),
        );
        return;
      }
      const pid = holder.pid!;
      const namespaces = isRoot
        ? [`--net=/proc/${pid}/ns/net`]
        : [`--user=/proc/${pid}/ns/user`, `--net=/proc/${pid}/ns/net`, '--preserve-credentials'];
      resolve({
        pid,
        enter: ['nsenter', ...namespaces, '--', ...DIE_WITH_PARENT],
        close: () => {
          holder.kill('SIGKILL');
        },
      });
    });
  });
}
