import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as TOML from '@iarna/toml';
import type { ClusterUnderTest } from './cluster-spec';
import { compareConfig, type LintProblem } from './config-compare';
import { assertNamespacesAvailable, unshareArgs } from './linux-namespaces';
import { operatorPodEnv, POD_PATHS, type UnresolvedEnv } from './operator-env';

export interface LintResult {
  /** No problems: every written key is known to the server and takes effect as written. */
  readonly ok: boolean;
  readonly problems: readonly LintProblem[];
  /** Keys (leaves) of the written config that were checked. */
  readonly checkedKeys: number;
  /** Pod variables whose values verify cannot know, so their effect on the config is not checked. */
  readonly unresolvedEnv: readonly UnresolvedEnv[];
  /** The config a pod runs with (`--dump-config` with the pod's environment); empty when the server refused it. */
  readonly effective: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
}

export interface LintOptions {
  /** The native `restate-server` binary. */
  readonly serverBinary: string;
}

interface Dump {
  readonly config?: Record<string, unknown>;
  readonly error?: string;
}

/** Runs `restate-server --dump-config` in a network namespace with only loopback, with exactly this environment. */
function dumpConfig(serverBinary: string, args: readonly string[], env: Readonly<Record<string, string>>): Dump {
  const [command, ...prefix] = unshareArgs();
  const result = spawnSync(command, [...prefix, serverBinary, ...args, '--dump-config'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 20_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) return { error: result.error.message };
  if (result.status !== 0) return { error: (result.stderr || result.stdout || `exit status ${result.status}`).trim() };
  try {
    return { config: TOML.parse(result.stdout) as Record<string, unknown> };
  } catch (error) {
    return { error: `cannot read the dumped config: ${(error as Error).message}` };
  }
}

/**
 * Lints a cluster's server config against the real server: every written key must be known to it and take
 * effect as written, in a pod's environment (the operator's variables override the file).
 */
export function lintClusterConfig(cluster: ClusterUnderTest, options: LintOptions): LintResult {
  const started = Date.now();
  let checkedKeys = 0;
  const finish = (problems: LintProblem[], unresolvedEnv: readonly UnresolvedEnv[], effective: Record<string, unknown>): LintResult => ({
    ok: problems.length === 0,
    problems,
    checkedKeys,
    unresolvedEnv,
    effective,
    durationMs: Date.now() - started,
  });

  let written: Record<string, unknown>;
  try {
    written = TOML.parse(cluster.config) as Record<string, unknown>;
  } catch (error) {
    return finish([{ keyPath: '', message: `spec.config is not valid TOML: ${(error as Error).message.split('\n')[0]}` }], [], {});
  }
  checkedKeys = countLeaves(written);

  assertNamespacesAvailable();
  const dir = mkdtempSync(join(tmpdir(), 'restate-lint-'));
  try {
    const configFile = join(dir, 'config.toml');
    writeFileSync(configFile, cluster.config);
    const pod = operatorPodEnv(cluster, 0, { ...POD_PATHS, configFile });
    const effective = dumpConfig(options.serverBinary, [], pod.env);
    if (!effective.config) {
      return finish(
        [{ keyPath: '', message: `the server refuses the config in a pod's environment: ${effective.error}` }],
        pod.unresolved,
        {},
      );
    }
    const canonical = dumpConfig(options.serverBinary, ['--config-file', configFile], {});
    if (!canonical.config) {
      return finish([{ keyPath: '', message: `the server refuses the config: ${canonical.error}` }], pod.unresolved, effective.config);
    }
    return finish(compareConfig(written, effective.config, canonical.config, pod.env), pod.unresolved, effective.config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function countLeaves(table: Record<string, unknown>): number {
  return Object.values(table).reduce<number>(
    (n, v) =>
      n +
      (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) ? countLeaves(v as Record<string, unknown>) : 1),
    0,
  );
}
