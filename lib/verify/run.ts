import { join } from 'node:path';
import { ManifestError } from '../target/manifest-error';
import { type Target, targetDir } from '../values';
import type { RestateBinaries } from './binaries';
import { type ClusterUnderTest, readClusterUnderTest } from './cluster-spec';
import { expectedLayout } from './cluster-checks';
import { lintClusterConfig, type LintResult } from './config-lint';
import type { Deadline } from './deadline';
import { VerifyError } from './errors';
import { clusterHostsFile } from './hosts';
import type { LiveCheckInput, LiveResult } from './live';
import { objectStoreMetadataUse, type SnapshotDestination, snapshotDestination } from './object-store';
import { runInSandbox } from './sandbox';
import { type ProvisioningJob, readPodMonitorNamespace, readProvisioningJob } from './target-extras';

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
  /** Checked between targets: true stops the run. */
  readonly stopRequested?: () => boolean;
}

const LIVE_ENTRY = join(__dirname, 'live-entry.ts');

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
  let prometheusNamespace: string | undefined;
  try {
    cluster = readClusterUnderTest(options.distDir, target);
    job = readProvisioningJob(options.distDir, target);
    prometheusNamespace = readPodMonitorNamespace(options.distDir, target);
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
    ...(prometheusNamespace ? { prometheusNamespace } : {}),
    ...objectStoreHost(lint.effective),
  };
  const outcome = await runInSandbox<LiveCheckInput, LiveResult>({
    entry: LIVE_ENTRY,
    input,
    hosts: clusterHostsFile(cluster.replicas, cluster.name),
    deadlineMs: options.deadline.remainingMs(),
  });
  if (!outcome.result.ok) return { target, cluster, lint, liveError: outcome.result.error, ok: false };
  return { target, cluster, lint, live: outcome.result.value, ok: outcome.result.value.ok };
}
