import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { VerifyError } from './errors';

/**
 * The folders the pods' uids must pass on the way to `path`: every ancestor of its real path whose mode lets
 * nobody but its owner and group through (`/root` is 0700 on Debian, `mktemp -d` makes 0700), from `/` down.
 */
export function closedAncestors(path: string): string[] {
  const real = realpathSync(path);
  const closed: string[] = [];
  for (let at = dirname(real); ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) closed.unshift(at);
    if (at === sep) return closed;
  }
}

function mount(args: readonly string[]): void {
  try {
    execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    throw new VerifyError(`\`mount ${args.join(' ')}\` failed: ${(e.stderr?.toString() || e.message).trim()}`);
  }
}

function stillThere(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lets others pass `dir` in this mount namespace only, without touching it on disk: a tmpfs with the folder's
 * owner and mode plus the others' execute bit (pass, not list) is mounted over it, and each of its entries is
 * bind-mounted back in place from a descriptor opened before the tmpfs hid them. Every entry keeps its own
 * mode, so a pod reaches through `dir` only what others could reach in it anyway.
 */
function openForOthers(dir: string): void {
  const st = statSync(dir);
  const fd = openSync(dir, 'r');
  try {
    // /proc is the host's: this process's PID there (not 1, as inside the PID namespace) names the descriptor for
    // `mount` too, which must take the path as it is (--no-canonicalize): resolved, it would name the tmpfs again.
    const hidden = `/proc/${readlinkSync('/proc/self')}/fd/${fd}`;
    const mode = ((st.mode & 0o7777) | 0o001).toString(8);
    mount(['-t', 'tmpfs', '-o', `mode=${mode},uid=${st.uid},gid=${st.gid},size=1m`, 'restate-verify-pass', dir]);
    for (const entry of readdirSync(hidden, { withFileTypes: true })) {
      const from = join(hidden, entry.name);
      const to = join(dir, entry.name);
      try {
        if (entry.isSymbolicLink()) {
          symlinkSync(readlinkSync(from), to);
          continue;
        }
        if (entry.isDirectory()) mkdirSync(to);
        else writeFileSync(to, '');
        mount(['--no-canonicalize', '--rbind', from, to]);
      } catch (error) {
        // A shared folder (/tmp) changes under us: an entry another process removed after the listing is left
        // out, as it would be gone for the pods anyway. Anything else is a real failure.
        if (stillThere(from)) throw error;
        rmSync(to, { recursive: true, force: true });
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `paths` reachable for the pods' uids inside this (private) mount namespace: each closed ancestor is
 * opened by `openForOthers`, top down, so the pods see the project at the same path as the orchestrator. The
 * host's folders keep their modes. Returns the folders it opened. Needs root in a private mount namespace.
 */
export function openPathsForPods(paths: readonly string[]): string[] {
  const opened: string[] = [];
  for (const path of paths) {
    for (const dir of closedAncestors(path)) {
      if (opened.includes(dir)) continue;
      if (dir === sep) throw new VerifyError('the root folder / lets no other user pass (mode o-x): the pods could run nothing');
      openForOthers(dir);
      opened.push(dir);
    }
  }
  return opened;
}

/** What a pod needs of one path: `x` to run or pass it, `r` to read it. */
export interface PodNeed {
  readonly path: string;
  readonly access: 'r' | 'x';
}

/** The first component on the way to `path` (or `path` itself) that others may not pass or use as needed. */
function blocker(need: PodNeed): string {
  const parts = need.path.split(sep).filter(Boolean);
  let at = '';
  for (const [i, part] of parts.entries()) {
    at = `${at}${sep}${part}`;
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) return `${at} does not exist`;
    const last = i === parts.length - 1;
    const bit = last ? (need.access === 'r' ? 0o004 : 0o001) : 0o001;
    if (!st.isSymbolicLink() && (st.mode & bit) === 0) {
      return `${at} has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')} (owner uid ${st.uid})`;
    }
  }
  return `${need.path} is not usable`;
}

/**
 * Fails, before any pod starts, when a pod's uid cannot use what it needs: asks the kernel as that uid
 * (`setpriv`, then `test -r` / `test -x`), and names the first path, the uid and what to do.
 */
export function assertPodsCanReach(uid: number, needs: readonly PodNeed[]): void {
  const script = 'while [ $# -gt 1 ]; do test "-$1" "$2" || { printf %s "$2"; exit 1; }; shift 2; done';
  const args = needs.flatMap((n) => [n.access, n.path]);
  const result = spawnSync(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', '/bin/sh', '-c', script, 'pod-reach', ...args],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (result.error) throw new VerifyError(`cannot run setpriv (util-linux) to check what the pods reach: ${result.error.message}`);
  if (result.status === 0) return;
  const failed = needs.find((n) => n.path === result.stdout) ?? { path: result.stdout || '(unknown)', access: 'r' as const };
  const verb = failed.access === 'r' ? 'read' : 'run or pass';
  throw new VerifyError(
    `the pods (uid ${uid}) cannot ${verb} ${failed.path}: ${blocker(failed)}; ` +
      'verify runs each pod as its own uid, so the checkout, node_modules and Node itself must be readable by other users ' +
      '(clone with umask 022, or `chmod -R o+rX` the checkout), or run verify from a checkout that is',
  );
}
