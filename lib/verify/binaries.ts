import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VerifyError } from './errors';

/** The real Restate binaries from npm (`@restatedev/restate-server`, `@restatedev/restatectl`). */
export interface RestateBinaries {
  /** The native `restate-server` executable (not the npm launcher script, so a PID is the server's own). */
  readonly server: string;
  /** The native `restatectl` executable. */
  readonly restatectl: string;
}

function nativeBinary(pkg: string, name: string): string {
  const id = `@restatedev/${pkg}-${process.platform}-${process.arch}/bin/${name}`;
  let path: string;
  try {
    path = require.resolve(id);
  } catch {
    throw new VerifyError(
      `${name} for ${process.platform}-${process.arch} is not installed (${id}): run \`npm ci\`; ` +
        `it comes with the devDependency @restatedev/${pkg}`,
    );
  }
  if (!existsSync(path)) throw new VerifyError(`${name} is missing at ${path}: run \`npm ci\``);
  return path;
}

/** Finds the native binaries that the npm packages installed for this platform. */
export function resolveRestateBinaries(): RestateBinaries {
  return { server: nativeBinary('restate-server', 'restate-server'), restatectl: nativeBinary('restatectl', 'restatectl') };
}

/** `restate-server 1.7.12` → `1.7.12`: the version a binary reports. */
export function binaryVersion(path: string): string {
  const text = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const match = /(\d+\.\d+\.\d+\S*)/.exec(text);
  if (!match) throw new VerifyError(`cannot read the version of ${path} from ${JSON.stringify(text.trim())}`);
  return match[1];
}
