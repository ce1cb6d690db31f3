import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VerifyError } from './errors';

/**
 * An older `restate-server` that the rolling-upgrade scenario starts from, pinned by version and by the sha512
 * of its npm tarball (the `dist.integrity` the registry published). npm has these for linux-x64 only.
 */
export interface PinnedServer {
  readonly version: string;
  readonly package: string;
  /** `sha512-<base64>` of the tarball. */
  readonly integrity: string;
}

/**
 * The versions on the upgrade path below the project's own 1.7.12 (package.json): the oldest npm has, and the
 * next minor. Restate's upgrade documentation forbids skipping a minor version, so the path is 1.5 → 1.6 → 1.7.
 */
export const OLDER_SERVERS: readonly PinnedServer[] = [
  {
    version: '1.5.3',
    package: '@restatedev/restate-server-linux-x64',
    integrity: 'sha512-sNVWBnNc0jxAX78jh6MTcWZRwpsBwUvotl41YXCMVkX36X/gw41n2oF1JgutG+0zzNEB8YErDRsTXcqAwd3vOw==',
  },
  {
    version: '1.6.1',
    package: '@restatedev/restate-server-linux-x64',
    integrity: 'sha512-B8j+NlMi/trPF4tNZ9J4nDd4rVurry51FqF+tSlN06rzbdkH7sM2Ih1jqsPm3NW3efiud7iX+R8m0/Hx7Xaf7Q==',
  },
];

/** Where fetched binaries are kept: beside what `npm ci` installed, gone with `node_modules`. */
export const OLDER_SERVERS_CACHE = join(__dirname, '..', '..', 'node_modules', '.cache', 'restate-stack', 'restate-server');

/** `sha512-<base64>` of a file, as npm writes integrity. */
export function fileIntegrity(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

function pinned(version: string, servers: readonly PinnedServer[]): PinnedServer {
  const found = servers.find((s) => s.version === version);
  if (!found)
    throw new VerifyError(
      `restate-server ${version} is not pinned in lib/verify/older-servers.ts (pinned: ${servers.map((s) => s.version).join(', ')})`,
    );
  return found;
}

/** The native binary of a pinned version in the cache (it may not be there yet). */
export function cachedServerPath(version: string, cacheDir = OLDER_SERVERS_CACHE): string {
  return join(cacheDir, version, 'restate-server');
}

export interface FetchOptions {
  /** @default OLDER_SERVERS_CACHE */
  readonly cacheDir?: string;
  /** The npm client to fetch with. @default `npm` on PATH */
  readonly npm?: string;
  /** The pins to look the version up in. @default OLDER_SERVERS */
  readonly servers?: readonly PinnedServer[];
  /** Told before a download starts. */
  readonly onFetch?: (server: PinnedServer) => void;
}

/**
 * The native `restate-server` of a pinned older version: from the cache, else fetched with the ordinary npm
 * client (`npm pack`, the registry and credentials of the user's npm config), its tarball checked against the
 * pinned sha512 before anything is extracted, and moved into the cache in one rename (a half-fetched binary is
 * never used). Runs on the host, before the sandbox: the sandbox has no network.
 */
export function olderServerBinary(version: string, options: FetchOptions = {}): string {
  const server = pinned(version, options.servers ?? OLDER_SERVERS);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new VerifyError(
      `restate-server ${version} is on npm for linux-x64 only (${server.package}); this machine is ${process.platform}-${process.arch}`,
    );
  }
  const cacheDir = options.cacheDir ?? OLDER_SERVERS_CACHE;
  const target = cachedServerPath(version, cacheDir);
  if (existsSync(target)) return target;
  options.onFetch?.(server);
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, `.fetch-${version}-`));
  try {
    const spec = `${server.package}@${server.version}`;
    let packed: { filename: string }[];
    try {
      const out = execFileSync(options.npm ?? 'npm', ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 300_000,
      });
      packed = JSON.parse(out) as { filename: string }[];
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' ');
      throw new VerifyError(`cannot fetch ${spec} with npm pack: ${stderr}`);
    }
    const tarball = join(work, packed[0].filename);
    const actual = fileIntegrity(tarball);
    if (actual !== server.integrity) {
      throw new VerifyError(`${spec} from the registry has integrity ${actual}, not the pinned ${server.integrity}: refusing to run it`);
    }
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/bin/restate-server'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    });
    const binary = join(work, 'package', 'bin', 'restate-server');
    chmodSync(binary, 0o755);
    mkdirSync(join(cacheDir, version), { recursive: true });
    renameSync(binary, target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
