/**
 * Which of Restate's own Prometheus metrics each server version exports, for the alerts and the dashboard: a rule
 * or a panel on a metric the target's server does not export would never fire or show anything, so synth ships
 * only what the image's version has, and warns (`alert-metric-missing`) for the rest.
 *
 * Read from the server's source at each tag (the `pub const …: &str = "restate…"` metric definitions of
 * restatedev/restate, v1.4.0 … v1.7.6; a name `a.b.total` is served as `a_b_total`) and checked live against the
 * binaries npm serves (1.5.3, 1.6.1, 1.7.12: `test/values/restate-metrics.live.test.ts` scrapes each one's
 * `/metrics`). The oldest version npm has is 1.5.3, so 1.4.x stands on the source alone.
 */

/** A version range of one metric: from `since` on, up to (not including) `until`. */
export interface VersionSpan {
  readonly since: string;
  readonly until?: string;
}

export const RESTATE_METRICS = {
  /** Nodes per failure-detector state (`alive`, `suspect`, `dead`, `failing_over`), as this node sees them. */
  restate_failure_detector_nodes_total: { since: '1.4.0' },
  /** Partitions in the partition table. */
  restate_num_partitions: { since: '1.4.0' },
  /** 1 when this node's processor of the partition (label `partition`) is its effective leader. Gone in 1.7.3. */
  restate_partition_is_effective_leader: { since: '1.4.0', until: '1.7.3' },
  /** How many partitions this node leads; replaces the per-partition gauge in 1.7.3. */
  restate_num_active_partition_leaders: { since: '1.7.3' },
  /**
   * Age of the latest snapshot: per partition (label `partition`, set when a snapshot's status is read) up to 1.7.2,
   * quantiles across the node's partitions (label `quantile`, `1.0` the oldest) from 1.7.3.
   */
  restate_partition_snapshot_age_seconds: { since: '1.6.0' },
  /** The replicated metadata server's committed log position: one series per live member. */
  restate_metadata_server_replicated_committed_lsn: { since: '1.4.0' },
  /** Memory pools (label `name`): bytes in use and capacity. */
  restate_memory_pool_usage_bytes: { since: '1.7.0' },
  restate_memory_pool_capacity_bytes: { since: '1.7.0' },
} as const satisfies Record<string, VersionSpan>;

export type RestateMetric = keyof typeof RESTATE_METRICS;

/**
 * A Restate release: MAJOR.MINOR.PATCH (a pre-release counts as its release), or MAJOR.MINOR for a tag that follows
 * the minor's patches (`1.4`): then a metric counts only if every patch of the minor exports it.
 */
export interface RestateVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch?: number;
}

const RELEASE = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(-[0-9A-Za-z.-]+)?$/;

/** `1.7.12` of `restatedev/restate:1.7.12`, `1.4` of `…:1.4`; undefined when the tag names no release (a digest alone). */
export function restateVersionOfImage(image: string): RestateVersion | undefined {
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon < 0 || name.slice(colon).includes('/')) return undefined;
  const match = RELEASE.exec(name.slice(colon + 1));
  if (!match) return undefined;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return match[3] === undefined ? { major, minor } : { major, minor, patch: Number(match[3]) };
}

export const showVersion = (v: RestateVersion): string => `${v.major}.${v.minor}${v.patch === undefined ? ' (any patch)' : `.${v.patch}`}`;

interface Exact {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

function parse(text: string): Exact {
  const [major, minor, patch] = text.split('.').map(Number);
  return { major: major!, minor: minor!, patch: patch! };
}

function compare(a: Exact, b: Exact): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Whether `version` lies in `span` (for a whole minor: its first and any last patch both). */
export function inSpan(version: RestateVersion, span: VersionSpan): boolean {
  const low = { ...version, patch: version.patch ?? 0 };
  const high = { ...version, patch: version.patch ?? Number.MAX_SAFE_INTEGER };
  return compare(low, parse(span.since)) >= 0 && (span.until === undefined || compare(high, parse(span.until)) < 0);
}

/** Whether a server of `version` exports `metric`. */
export function exportsMetric(version: RestateVersion, metric: RestateMetric): boolean {
  return inSpan(version, RESTATE_METRICS[metric]);
}

/** `1.6.0 and later`, `1.4.0 to 1.7.2`: the versions a span covers, for messages. */
export function showSpan(span: VersionSpan): string {
  if (span.until === undefined) return `${span.since} and later`;
  return `${span.since} to before ${span.until}`;
}
