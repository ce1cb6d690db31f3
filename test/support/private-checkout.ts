import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = realpathSync(join(__dirname, '..', '..'));

export interface PrivateRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Where the checkout was seen: `<a 0700 folder>/restate stack`. */
  readonly checkout: string;
  /** The mode of the 0700 folder on disk after the run (the run must not have changed it). */
  readonly folderModeAfter: number;
}

/**
 * Runs a TypeScript file of this project under tsx as if the project were checked out at `<a 0700 folder with a
 * space>/restate stack` (as root's home is 0700 on Debian): in a mount namespace of its own, the project is
 * bind-mounted there and its real folder is hidden under an empty tmpfs, so nothing can reach it by its real path.
 * Needs root (util-linux `unshare` and `mount`).
 */
export function runFromPrivateCheckout(file: string, timeoutMs: number): Promise<PrivateRun> {
  const folder = mkdtempSync(join(tmpdir(), 'private home '));
  const checkout = join(folder, 'restate stack');
  mkdirSync(checkout);
  const at = (path: string) => join(checkout, relative(ROOT, path));
  const script = 'mount --bind "$1" "$2" && mount -t tmpfs hidden "$1" && cd "$2" && shift 2 && exec "$@"';
  const argv = [process.execPath, '--import', pathToFileURL(at(require.resolve('tsx'))).href, at(file)];
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'private-checkout', ROOT, checkout, ...argv],
    {
      // The bundle runner's cache of these runs stays beside the project's own (inside node_modules, where the bundle's
      // require.resolve() finds the packages), so that neither evicts the other's bundles.
      env: { ...process.env, BUNDLE_CACHE_DIR: join(checkout, 'node_modules', '.cache', 'bundle-cache-private-checkout') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const folderModeAfter = statSync(folder).mode & 0o7777;
      rmSync(folder, { recursive: true, force: true });
      resolve({ code, stdout, stderr, checkout, folderModeAfter });
    });
  });
}
