import { spawnSync } from 'node:child_process';
import { DeployError } from './errors';
import type { RunResult } from './process';
import { ExitCode } from '../errors/user-error';

/**
 * The programs the deploy commands run, and the oldest versions that do what they are asked:
 * - kubectl 1.31: `kubectl wait --for=create` (promote waits for the CRDs, the namespace and the pods to exist).
 * - sops 3.7: age keys (promote decrypts a SOPS-encrypted credentials Secret; the worked example uses age).
 * `mise.toml` stays a file of tasks only (no [tools]): these come from the user's machine. docs/deploying.md#tools.
 */
export const TOOL_MINIMUMS = {
  kubectl: { major: 1, minor: 31, why: 'for `kubectl wait --for=create`' },
  sops: { major: 3, minor: 7, why: 'for age keys' },
} as const;

/** How the deploy commands ask each program for its version (the edge runs them; tests answer for them). */
export interface ToolProbe {
  /** `kubectl version --client -o json` */
  kubectl(): RunResult;
  /** `sops --version` */
  sops(): RunResult;
}

export const KUBECTL_VERSION_ARGS = ['version', '--client', '-o', 'json'] as const;

const INSTALL = 'see docs/deploying.md#tools for the versions and where to get them';

/** The client version kubectl reports (`clientVersion.major`/`minor`; the minor may carry a `+`). */
export function kubectlClientVersion(stdout: string): { major: number; minor: number; text: string } | undefined {
  try {
    const client = (JSON.parse(stdout) as { clientVersion?: { major?: string; minor?: string; gitVersion?: string } }).clientVersion;
    const [major, minor] = [Number.parseInt(client?.major ?? '', 10), Number.parseInt(client?.minor ?? '', 10)];
    if (!Number.isInteger(major) || !Number.isInteger(minor)) return undefined;
    return { major, minor, text: client?.gitVersion ?? `${major}.${minor}` };
  } catch {
    return undefined;
  }
}

/** The version in `sops --version`'s first line (`sops 3.9.4 (latest)`). */
export function sopsVersion(stdout: string): { major: number; minor: number; text: string } | undefined {
  const match = /^sops (\d+)\.(\d+)\.(\d+)/m.exec(stdout);
  return match ? { major: Number(match[1]), minor: Number(match[2]), text: `${match[1]}.${match[2]}.${match[3]}` } : undefined;
}

function older(found: { major: number; minor: number }, minimum: { major: number; minor: number }): boolean {
  return found.major < minimum.major || (found.major === minimum.major && found.minor < minimum.minor);
}

function missing(result: RunResult): boolean {
  return result.code === 127 || (/ENOENT|not found/i.test(result.stderr) && result.stdout === '');
}

/**
 * Checks, before anything touches a cluster, that kubectl (and, when `sops` is set, the sops CLI) is there and
 * new enough. Every problem is one DeployError (exit FAILED) naming the tool, the version found and the one needed.
 */
export function checkDeployTools(probe: ToolProbe, needs: { readonly sops: boolean }): void {
  const problems: string[] = [];
  const k = TOOL_MINIMUMS.kubectl;
  const kubectl = probe.kubectl();
  const kv = kubectl.code === 0 ? kubectlClientVersion(kubectl.stdout) : undefined;
  if (missing(kubectl)) problems.push(`kubectl is not on PATH; deploy needs kubectl >= ${k.major}.${k.minor} (${k.why})`);
  else if (!kv)
    problems.push(
      `\`kubectl ${KUBECTL_VERSION_ARGS.join(' ')}\` did not report a client version ` +
        `(exit ${kubectl.code}: ${kubectl.stderr.trim().split('\n')[0] ?? ''}); ` +
        `deploy needs kubectl >= ${k.major}.${k.minor}`,
    );
  else if (older(kv, k)) problems.push(`kubectl ${kv.text} is too old: deploy needs kubectl >= ${k.major}.${k.minor} (${k.why})`);
  if (needs.sops) {
    const s = TOOL_MINIMUMS.sops;
    const sops = probe.sops();
    const sv = sopsVersion(sops.stdout);
    if (missing(sops))
      problems.push(
        `sops is not on PATH; promote decrypts the target's SOPS-encrypted credentials Secret with it (sops >= ${s.major}.${s.minor}, ${s.why})`,
      );
    else if (!sv)
      problems.push(`\`sops --version\` did not report a version (exit ${sops.code}); promote needs sops >= ${s.major}.${s.minor}`);
    else if (older(sv, s)) problems.push(`sops ${sv.text} is too old: promote needs sops >= ${s.major}.${s.minor} (${s.why})`);
  }
  if (problems.length > 0) throw new DeployError(`${problems.join('\n')}\n(${INSTALL})`, ExitCode.FAILED);
}

/** Runs a program for its version: no stdin, a short bound (an update check of an old sops must not hang deploy). */
function versionOf(program: string, args: readonly string[], env: NodeJS.ProcessEnv): RunResult {
  const result = spawnSync(program, [...args], { env, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT')
    return { code: 127, stdout: '', stderr: `${program}: not found` };
  return { code: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? result.error?.message ?? '' };
}

/** The real programs on PATH. */
export function toolsOnPath(env: NodeJS.ProcessEnv = process.env): ToolProbe {
  return { kubectl: () => versionOf('kubectl', KUBECTL_VERSION_ARGS, env), sops: () => versionOf('sops', ['--version'], env) };
}
