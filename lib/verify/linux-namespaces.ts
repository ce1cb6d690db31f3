import { spawnSync } from 'node:child_process';
import { VerifyError } from './errors';

/** Which Linux namespaces a sandboxed command gets. */
export interface NamespaceOptions {
  /**
   * A private mount namespace too (for bind-mounting a hosts file) and a PID namespace whose end takes every
   * process in it along, so nothing started inside can outlive the run.
   * @default false - a network namespace only
   */
  readonly mountAndPid?: boolean;
}

/**
 * The `unshare` command line that runs a program in a new network namespace, which has only a loopback
 * interface (down until brought up). As root it needs nothing else; otherwise it maps the user to root in a
 * new user namespace, which works where unprivileged user namespaces are enabled.
 */
export function unshareArgs(options: NamespaceOptions = {}): string[] {
  const args = ['unshare'];
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) args.push('--user', '--map-root-user');
  args.push('--net');
  if (options.mountAndPid) args.push('--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child');
  args.push('--');
  return args;
}

let checked: Map<boolean, true> | undefined;

/**
 * Fails with a clear message, instead of a hang or a server on the host network, when this machine cannot
 * create the namespaces. Checked once per process.
 */
export function assertNamespacesAvailable(options: NamespaceOptions = {}): void {
  const key = options.mountAndPid === true;
  if (checked?.has(key)) return;
  const [command, ...args] = unshareArgs(options);
  const result = spawnSync(command, [...args, 'true'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0) {
    const said = result.error ? result.error.message : (result.stderr || `exit status ${result.status}`).trim();
    throw new VerifyError(
      `cannot create a private network namespace${key ? ' (with mount and PID namespaces)' : ''}: ` +
        `\`${[command, ...args].join(' ')} true\` failed: ${said}. ` +
        'Restate servers may only run where they cannot reach the network: run verify as root, or where ' +
        'unprivileged user namespaces are enabled (sysctl kernel.unprivileged_userns_clone=1, ' +
        'user.max_user_namespaces > 0), on Linux with util-linux `unshare`.',
    );
  }
  checked ??= new Map();
  checked.set(key, true);
}
