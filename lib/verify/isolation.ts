import { execFileSync } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerifyError } from './errors';

function run(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: string };
    const hint =
      e.code === 'ENOENT' ? ` (${command} is not installed; on Debian it comes with ${command === 'ip' ? 'iproute2' : 'util-linux'})` : '';
    throw new VerifyError(`\`${command} ${args.join(' ')}\` failed: ${(e.stderr || e.message).trim()}${hint}`);
  }
}

/** Names of the network interfaces this process sees (`ip -o link show`). */
function interfaces(): string[] {
  return run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[1].trim().replace(/@.*$/, ''));
}

function sameNamespace(kind: 'net' | 'mnt'): boolean | undefined {
  try {
    return readlinkSync(`/proc/self/ns/${kind}`) === readlinkSync(`/proc/1/ns/${kind}`);
  } catch {
    return undefined; // not readable (user namespace): the interface check below still holds
  }
}

/**
 * Makes the current process's private namespaces ready for a local cluster, after checking that they are
 * private: refuses to go on if any interface besides loopback is visible (the server calls out to the
 * internet on start-up, and nothing may leave this machine) or if the mount namespace is the host's.
 * Then brings loopback up and bind-mounts `hostsContent` over /etc/hosts (visible in this namespace only).
 */
export function prepareIsolatedNetwork(hostsContent: string, workDir: string): void {
  const seen = interfaces();
  if (seen.length !== 1 || seen[0] !== 'lo') {
    throw new VerifyError(`refusing to start Restate servers: this network namespace has interfaces ${seen.join(', ')}, not only lo`);
  }
  if (sameNamespace('net') === true || sameNamespace('mnt') === true) {
    throw new VerifyError('refusing to start Restate servers: not running in private network and mount namespaces');
  }
  run('ip', ['link', 'set', 'lo', 'up']);
  const hostsFile = join(workDir, 'hosts');
  writeFileSync(hostsFile, hostsContent);
  run('mount', ['--bind', hostsFile, '/etc/hosts']);
}
