import { join } from 'node:path';
import { ManifestError } from '../target-folder/manifest-error';
import { type Target, targetDir } from '../values';
import { binaryVersion, type RestateBinaries } from './binaries';
import { type ClusterUnderTest, readClusterUnderTest } from './cluster-spec';
import { expectedLayout } from './cluster-checks';
import { lintClusterConfig, type LintResult } from './config-lint';
import type { Deadline } from './deadline';
import { VerifyError } from './errors';
import { clusterHostsFile } from './hosts';
import type { LiveBase } from './args';
import { runControlPlaneCheck } from './control-plane-check';
import type { LiveResult } from './live';
import type { LiveCheckInput } from './live-session';
import { olderServerBinary } from './older-servers';
import { objectStoreMetadataUse, type SnapshotDestination, snapshotDestination } from './object-store';
import { runInSandbox } from './sandbox';
import type { TargetMonitoring } from './prometheus-pod';
import { type ProvisioningJob, readMonitoring, readProvisioningJob } from './target-extras';
import { findScenario } from './scenarios';
import type { ScenarioInput } from './scenarios/run-scenario';
import type { ScenarioResult, ServerBinary } from './scenarios/scenario';

/** Versions of the binaries that did the verifying. */
export interface Versions {
  readonly server: string;
  readonly restatectl: string;
}

/** Everything verify found out about one target. */
export interface TargetVerification {
  readonly target: Target;
  readonly cluster?: ClusterUnderTest;
  /** The target's manifests could not be read back (a ManifestError's message); nothing else was checked. */
  readonly readError?: string;
  readonly lint?: LintResult;
  readonly live?: LiveResult;
  /** The day-two scenario's run, when one was asked for (instead of the live check). */
  readonly scenario?: ScenarioResult;
  /** Why the live check did not run, or could not finish (sandbox failure, interruption, deadline). */
  readonly liveNotRun?: string;
  readonly liveError?: string;
  readonly ok: boolean;
}

export interface VerifyOptions {
  readonly targets: readonly Target[];
  readonly distDir: string;
  readonly lintOnly: boolean;
  readonly deadline: Deadline;
  readonly readyBoundMs: number;
  readonly failoverBoundMs: number;
  readonly binaries: RestateBinaries;
  /** Called with each target's result as soon as it is known. */
  readonly onTarget?: (result: TargetVerification) => void;
  /** A day-two scenario to run instead of the live check (lib/verify/scenarios/). @default - the live check */
  readonly scenario?: string;
  /** Checked between targets: true stops the run. */
  readonly stopRequested?: () => boolean;
  /** What the live check runs on. @default 'model' */
  readonly on?: LiveBase;
  /** With `on: 'control-plane'`: a restate-operator binary in the operator part's place. */
  readonly operatorBin?: { readonly path: string; readonly givenBy: string };
  /** Progress lines of a live check that runs in this process (`on: 'control-plane'`). @default stderr */
  readonly progress?: (line: string) => void;
}

const LIVE_ENTRY = join(__dirname, 'live-entry.ts');
const SCENARIO_ENTRY = join(__dirname, 'scenarios', 'scenario-entry.ts');

/** The host of `[worker.snapshots] aws-endpoint-url`, when the config names one. */
function objectStoreHost(effective: Readonly<Record<string, unknown>>): { objectStoreHost?: string } {
  const worker = effective.worker as Record<string, unknown> | undefined;
  const snapshots = worker?.snapshots as Record<string, unknown> | undefined;
  const url = snapshots?.['aws-endpoint-url'];
  if (typeof url !== 'string') return {};
  try {
    return { objectStoreHost: new URL(url).hostname };
  } catch {
    return {};
  }
}

/** Lints every target and, unless `lintOnly`, runs the live check of each target whose lint passed. */
export async function verifyTargets(options: VerifyOptions): Promise<TargetVerification[]> {
  const results: TargetVerification[] = [];
  for (const target of options.targets) {
    if (options.stopRequested?.()) break;
    const result = await verifyTarget(target, options);
    results.push(result);
    options.onTarget?.(result);
  }
  return results;
}

async function verifyTarget(target: Target, options: VerifyOptions): Promise<TargetVerification> {
  let cluster: ClusterUnderTest;
  let job: ProvisioningJob | undefined;
  let monitoring: TargetMonitoring | undefined;
  try {
    cluster = readClusterUnderTest(options.distDir, target);
    job = readProvisioningJob(options.distDir, target);
    monitoring = readMonitoring(options.distDir, target);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return { target, readError: error.message, ok: false };
  }
  const lint = lintClusterConfig(cluster, { serverBinary: options.binaries.server });
  if (options.lintOnly) return { target, cluster, lint, liveNotRun: 'not asked for (--lint-only)', ok: lint.ok };
  if (!lint.ok) return { target, cluster, lint, liveNotRun: 'skipped: the lint failed', ok: false };
  const metadataStore = objectStoreMetadataUse(lint.effective);
  if (metadataStore !== undefined) {
    return {
      target,
      cluster,
      lint,
      liveNotRun:
        `cannot run: the config keeps its metadata in object storage (${metadataStore}); verify stands in for the ` +
        'snapshot store only, and a cluster without its metadata would never form. Only --lint-only can pass for this target.',
      ok: false,
    };
  }
  let snapshots: SnapshotDestination | undefined;
  try {
    snapshots = snapshotDestination(lint.effective);
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    return { target, cluster, lint, liveNotRun: `cannot run: ${error.message}`, ok: false };
  }
  if (options.deadline.expired()) return { target, cluster, lint, liveNotRun: 'skipped: the global deadline passed', ok: false };

  const input: LiveCheckInput = {
    label: targetDir(target),
    cluster,
    expected: expectedLayout(lint.effective),
    binaries: options.binaries,
    readyBoundMs: options.readyBoundMs,
    failoverBoundMs: options.failoverBoundMs,
    ...(snapshots ? { snapshots } : {}),
    ...(job ? { job } : {}),
    ...(monitoring ? { monitoring } : {}),
    ...objectStoreHost(lint.effective),
  };
  if (options.scenario !== undefined) return runScenarioOf(options.scenario, { target, cluster, lint }, input, options);
  if (options.on === 'control-plane') {
    const live = await runControlPlaneCheck({
      label: input.label,
      targetDir: join(options.distDir, targetDir(target)),
      cluster,
      expected: input.expected,
      binaries: options.binaries,
      readyBoundMs: options.readyBoundMs,
      failoverBoundMs: options.failoverBoundMs,
      ...(options.operatorBin ? { operatorBin: options.operatorBin } : {}),
      deadline: options.deadline,
      progress: options.progress ?? ((line) => process.stderr.write(`${line}\n`)),
    });
    return { target, cluster, lint, live, ok: live.ok };
  }
  const outcome = await runInSandbox<LiveCheckInput, LiveResult>({
    entry: LIVE_ENTRY,
    input,
    hosts: clusterHostsFile(cluster.replicas, cluster.name),
    deadlineMs: options.deadline.remainingMs(),
  });
  if (!outcome.result.ok) return { target, cluster, lint, liveError: outcome.result.error, ok: false };
  return { target, cluster, lint, live: outcome.result.value, ok: outcome.result.value.ok };
}

/**
 * The binaries of a scenario's server versions: the project's own where the version is its own, else the pinned
 * older one (fetched now, on the host: the sandbox has no network).
 */
function scenarioServers(versions: readonly string[] | undefined, own: string): readonly ServerBinary[] {
  const ownVersion = binaryVersion(own);
  return (versions ?? [ownVersion]).map((version) => ({
    version,
    path:
      version === ownVersion
        ? own
        : olderServerBinary(version, {
            onFetch: (s) => process.stderr.write(`verify: fetching ${s.package}@${s.version} (pinned sha512) with npm pack\n`),
          }),
  }));
}

/** Runs one scenario on the target in the sandbox, within its budget (and the run's deadline). */
async function runScenarioOf(
  name: string,
  found: Pick<TargetVerification, 'target' | 'cluster' | 'lint'>,
  input: LiveCheckInput,
  options: VerifyOptions,
): Promise<TargetVerification> {
  const scenario = findScenario(name);
  if (!scenario) throw new VerifyError(`unknown scenario ${name}`);
  const { cluster } = input;
  const refused = scenario.refuse?.({ replicas: cluster.replicas, replication: input.expected.replicaSetSize });
  if (refused) return { ...found, liveNotRun: `cannot run scenario ${name} on this target: ${refused}`, ok: false };
  const capacity = Math.max(cluster.replicas, scenario.capacity?.(cluster.replicas) ?? 0);
  const budgetMs = scenario.budgetSeconds * 1000;
  let servers: readonly ServerBinary[];
  try {
    servers = scenarioServers(scenario.serverVersions, input.binaries.server);
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    return { ...found, liveNotRun: `cannot run scenario ${name}: ${error.message}`, ok: false };
  }
  const scenarioInput: ScenarioInput = { ...input, binaries: { ...input.binaries, server: servers[0].path }, scenario: name, servers };
  const outcome = await runInSandbox<ScenarioInput, ScenarioResult>({
    entry: SCENARIO_ENTRY,
    input: scenarioInput,
    hosts: clusterHostsFile(capacity, cluster.name),
    deadlineMs: Math.min(options.deadline.remainingMs(), budgetMs),
  });
  if (!outcome.result.ok) {
    const overBudget = outcome.ms >= budgetMs ? ` (its budget is ${scenario.budgetSeconds} s)` : '';
    return { ...found, liveError: `scenario ${name}: ${outcome.result.error}${overBudget}`, ok: false };
  }
  return { ...found, scenario: outcome.result.value, ok: outcome.result.value.ok };
}
