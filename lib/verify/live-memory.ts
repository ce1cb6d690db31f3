import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as TOML from '@iarna/toml';
import { binaryVersion } from './binaries';
import type { ClusterUnderTest } from './cluster-spec';
import type { LocalCluster } from './local-cluster';
import {
  type CgroupVersion,
  detectMemoryHierarchy,
  kubeletView,
  type MemoryHierarchy,
  PodMemoryCgroup,
  removeCgroupDir,
} from './memory-cgroup';
import { checkReportedBudgets, type MemoryRunPlan, memoryRunPlan, type ReportedBudgets } from './memory-plan';
import { operatorPodEnv } from './operator-env';
import { podName } from '../target-folder/operator-names';
import { MiB, NEWEST_KNOWN, showBytes, type Version } from '../values';

/** One node's memory at the end of the live check. */
export interface NodeMemory {
  readonly name: string;
  readonly limitBytes: number;
  /** Memory charged to its cgroup at most (RSS and page cache): v1 memory.max_usage_in_bytes, v2 memory.peak. */
  readonly peakBytes: number;
  /** The server process's own peak RSS (VmHWM) since its latest start, when it still runs. */
  readonly peakRssBytes?: number;
  readonly oomKills: number;
  readonly starts: number;
  /** As the kubelet would show the container now. */
  readonly state: string;
}

export interface MemoryOutcome {
  readonly cgroup: CgroupVersion;
  readonly plan: MemoryRunPlan;
  readonly reported: Readonly<Record<string, string>>;
  readonly nodes: readonly NodeMemory[];
}

function memAvailableBytes(): number {
  const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * The highest peak RSS (VmHWM) of the processes in a cgroup, found through /proc (whose PIDs are the host's: the
 * sandbox's PID namespace has no /proc of its own, so a PID of ours cannot be looked up there directly).
 */
function vmHwmIn(cgroupSuffix: string): number | undefined {
  let peak: number | undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const groups = readFileSync(`/proc/${entry}/cgroup`, 'utf8');
      if (!groups.split('\n').some((line) => line.endsWith(cgroupSuffix))) continue;
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (match) peak = Math.max(peak ?? 0, Number(match[1]) * 1024);
    } catch {
      // gone meanwhile
    }
  }
  return peak;
}

/**
 * The live check's pods' memory limits: one memory cgroup per node with its (possibly scaled) limit, the budgets
 * the rule gives for it, and what the nodes did under it. Made only for a RestateCluster with a memory limit.
 */
export class LiveMemory {
  private readonly cgroups = new Map<number, PodMemoryCgroup>();
  private readonly parent: string;
  public readonly version: Version;

  private constructor(
    private readonly hierarchy: MemoryHierarchy,
    public readonly plan: MemoryRunPlan,
    private readonly cluster: ClusterUnderTest,
    private readonly serverBinary: string,
    version: Version,
  ) {
    // Unique on the host: inside the sandbox's PID namespace every run's PID is 1.
    this.parent = `restate-stack-verify-${randomBytes(6).toString('hex')}`;
    this.version = version;
  }

  /** The limits of a cluster with `limits.memory`, or why they cannot be applied here (no memory cgroup). */
  static create(cluster: ClusterUnderTest, serverBinary: string, replicas: number): LiveMemory | string | undefined {
    if (!cluster.memoryLimit) return undefined;
    const hierarchy = detectMemoryHierarchy();
    if (typeof hierarchy === 'string') return hierarchy;
    const match = /^(\d+)\.(\d+)\.(\d+)/.exec(binaryVersion(serverBinary));
    const version: Version = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : NEWEST_KNOWN;
    const plan = memoryRunPlan(cluster.memoryLimit, replicas, memAvailableBytes(), version, cluster.config);
    return new LiveMemory(hierarchy, plan, cluster, serverBinary, version);
  }

  get cgroupVersion(): CgroupVersion {
    return this.hierarchy.version;
  }

  private cgroupOf(ordinal: number): PodMemoryCgroup {
    let cgroup = this.cgroups.get(ordinal);
    if (!cgroup) {
      cgroup = new PodMemoryCgroup(this.hierarchy, `${this.parent}/${podName(ordinal)}`, this.plan.limitBytes);
      this.cgroups.set(ordinal, cgroup);
    }
    return cgroup;
  }

  /** Runs a node's command line in its pod's memory cgroup and cgroup namespace. */
  wrap(ordinal: number, command: { readonly file: string; readonly args: readonly string[] }): { file: string; args: readonly string[] } {
    return this.cgroupOf(ordinal).command(command.file, command.args);
  }

  /**
   * `restate-server --dump-config` with node 0's config and env (the pod's and the budgets'), run in a cgroup with
   * the pod's limit as the node is: the budgets the server resolves, against what the limit allows.
   */
  reportedBudgets(workDir: string, extraEnv: Readonly<Record<string, string>>): ReportedBudgets {
    const dir = join(workDir, 'memory-dump');
    mkdirSync(dir, { recursive: true });
    const configFile = join(dir, 'config.toml');
    writeFileSync(configFile, this.cluster.config);
    const pod = operatorPodEnv(this.cluster, 0, { baseDir: join(dir, 'data'), configFile });
    const probe = new PodMemoryCgroup(this.hierarchy, `${this.parent}/dump-config`, this.plan.limitBytes);
    try {
      const c = probe.command(this.serverBinary, ['--dump-config']);
      const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir, ...pod.env, ...extraEnv, ...this.plan.env };
      const run = spawnSync(c.file, [...c.args], { env, encoding: 'utf8', timeout: 30_000, cwd: dir });
      if (run.status !== 0)
        throw new Error(`--dump-config under the limit failed (${run.status ?? run.signal}): ${(run.stderr || '').trim().slice(-400)}`);
      return checkReportedBudgets(TOML.parse(run.stdout) as Record<string, unknown>, this.version, this.plan.allowedBytes);
    } finally {
      probe.remove();
    }
  }

  /** Each node's peak, OOM kills, starts and state. */
  nodes(local: LocalCluster): NodeMemory[] {
    return [...this.cgroups.entries()]
      .sort(([a], [b]) => a - b)
      .map(([ordinal, cgroup]) => {
        const usage = cgroup.usage();
        const proc = local.processOf(ordinal);
        const rss = proc && proc.exit === undefined ? vmHwmIn(`/${this.parent}/${podName(ordinal)}`) : undefined;
        return {
          name: podName(ordinal),
          limitBytes: usage.limitBytes,
          peakBytes: usage.peakBytes,
          ...(rss === undefined ? {} : { peakRssBytes: rss }),
          oomKills: usage.oomKills,
          starts: local.starts.get(ordinal) ?? 0,
          state: kubeletView(proc?.exit ? { code: proc.exit.code, signal: proc.exit.signal } : undefined, usage.oomKills),
        };
      });
  }

  /** Removes every cgroup of the run (after its processes are gone); returns what could not be removed. */
  remove(): string[] {
    const left = [...this.cgroups.values()].map((c) => c.remove()).filter((x): x is string => x !== undefined);
    this.cgroups.clear();
    const parent = removeCgroupDir(join(this.hierarchy.own, this.parent));
    return parent ? [...left, parent] : left;
  }
}

/** One line per node for the report: peak against the limit. */
export function formatNodeMemory(node: NodeMemory): string {
  const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;
  const rss = node.peakRssBytes === undefined ? '' : `, peak RSS ${mib(node.peakRssBytes)}`;
  return (
    `${node.name}: peak charged to its cgroup (RSS + page cache) ${mib(node.peakBytes)} of ${showBytes(node.limitBytes)} (${((100 * node.peakBytes) / node.limitBytes).toFixed(0)} %)${rss}, ` +
    `${node.oomKills} OOM kill${node.oomKills === 1 ? '' : 's'}, ${node.starts} start${node.starts === 1 ? '' : 's'}, ${node.state}`
  );
}
