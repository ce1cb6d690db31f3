import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerifyError } from './errors';

/**
 * A pod's memory limit as the kubelet sets it: a memory cgroup of its own with the limit, and a cgroup namespace
 * rooted at it with cgroupfs mounted again inside, so that the process reads its own limit at
 * /sys/fs/cgroup/memory.max (v2) or /sys/fs/cgroup/memory/memory.limit_in_bytes (v1), the paths
 * restate-server reads from 1.6.0 (crates/types/src/config/common.rs, `process_total_memory_size`).
 * Needs root (the sandbox runs as root; a user namespace cannot write the host's cgroupfs).
 */

export type CgroupVersion = 'v1' | 'v2';

export interface MemoryHierarchy {
  readonly version: CgroupVersion;
  /** The folder of this process's own memory cgroup; pods are made below it. */
  readonly own: string;
}

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';

/** This process's cgroup path in a hierarchy, from /proc/self/cgroup (`0::/x` for v2, `4:memory:/x` for v1). */
function ownPath(test: (controllers: string, id: string) => boolean): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [id, controllers, path] = [line.split(':')[0], line.split(':')[1], line.split(':').slice(2).join(':')];
    if (controllers !== undefined && test(controllers, id)) return path;
  }
  return undefined;
}

/**
 * Which memory cgroup this machine has: v1 when the memory controller is mounted at /sys/fs/cgroup/memory (this
 * project's machines), v2 when /sys/fs/cgroup is the unified hierarchy with the memory controller; else why not.
 */
export function detectMemoryHierarchy(): MemoryHierarchy | string {
  if (existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) {
    const path = ownPath((controllers) => controllers.split(',').includes('memory'));
    if (path === undefined) return 'cgroup v1 has a memory hierarchy, but /proc/self/cgroup names no memory cgroup of this process';
    return { version: 'v1', own: join(V1_ROOT, path) };
  }
  const controllers = join(V2_ROOT, 'cgroup.controllers');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) {
    const path = ownPath((list, id) => id === '0' && list === '');
    if (path === undefined) return 'cgroup v2 is mounted, but /proc/self/cgroup names no unified cgroup of this process';
    return { version: 'v2', own: join(V2_ROOT, path) };
  }
  return 'no memory cgroup controller: neither /sys/fs/cgroup/memory (v1) nor a cgroup2 /sys/fs/cgroup with "memory" in cgroup.controllers (v2)';
}

/** What a cgroup saw: its peak memory and how often the kernel's OOM killer ran in it. */
export interface CgroupUsage {
  readonly limitBytes: number;
  /** v1 `memory.max_usage_in_bytes`, v2 `memory.peak`: memory charged to the cgroup (RSS and page cache). */
  readonly peakBytes: number;
  /** v1 `oom_kill` of `memory.oom_control`, v2 `oom_kill` of `memory.events`. */
  readonly oomKills: number;
}

/** One pod's memory cgroup. */
export class PodMemoryCgroup {
  public readonly dir: string;

  constructor(
    private readonly hierarchy: MemoryHierarchy,
    /** Unique below the hierarchy's own cgroup, e.g. `restate-stack-1234/restate-0`. */
    name: string,
    public readonly limitBytes: number,
  ) {
    this.dir = join(hierarchy.own, name);
    try {
      mkdirSync(this.dir, { recursive: true });
      if (hierarchy.version === 'v1') {
        writeFileSync(join(this.dir, 'memory.limit_in_bytes'), String(limitBytes));
        // As the kubelet's cgroup v1 driver does for a container without swap: the limit is the limit.
        if (existsSync(join(this.dir, 'memory.memsw.limit_in_bytes')))
          writeFileSync(join(this.dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      } else {
        writeFileSync(join(this.dir, 'memory.max'), String(limitBytes));
        if (existsSync(join(this.dir, 'memory.swap.max'))) writeFileSync(join(this.dir, 'memory.swap.max'), '0');
      }
    } catch (error) {
      throw new VerifyError(`cannot make the memory cgroup ${this.dir} (cgroup ${hierarchy.version}): ${(error as Error).message}`);
    }
  }

  /**
   * The command line that runs `file args…` in this cgroup and in a cgroup namespace rooted at it, with cgroupfs
   * mounted again in a private mount namespace: the program's /sys/fs/cgroup shows its own limit at the root.
   * Both shells exec, so the spawned PID is the program's.
   */
  command(file: string, args: readonly string[]): { readonly file: string; readonly args: readonly string[] } {
    const mount =
      this.hierarchy.version === 'v1'
        ? 'mount -t tmpfs pod-cgroups /sys/fs/cgroup && mkdir /sys/fs/cgroup/memory && mount -t cgroup -o memory memory /sys/fs/cgroup/memory'
        : 'mount -t cgroup2 cgroup2 /sys/fs/cgroup';
    const inner = `${mount} && exec "$@"`;
    const outer = 'echo $$ > "$1" && shift && exec unshare --cgroup --mount --propagation private -- /bin/sh -c "$0" pod-cgroup-view "$@"';
    return { file: '/bin/sh', args: ['-c', outer, inner, join(this.dir, 'cgroup.procs'), file, ...args] };
  }

  usage(): CgroupUsage {
    const read = (file: string) => readFileSync(join(this.dir, file), 'utf8');
    const counter = (text: string, key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    if (this.hierarchy.version === 'v1') {
      return {
        limitBytes: this.limitBytes,
        peakBytes: Number(read('memory.max_usage_in_bytes').trim()),
        oomKills: counter(read('memory.oom_control'), 'oom_kill'),
      };
    }
    return {
      limitBytes: this.limitBytes,
      peakBytes: existsSync(join(this.dir, 'memory.peak')) ? Number(read('memory.peak').trim()) : Number.NaN,
      oomKills: counter(read('memory.events'), 'oom_kill'),
    };
  }

  /**
   * Removes the cgroup once its processes are gone: a killed process leaves it a moment after its parent saw the exit,
   * so a busy cgroup is tried again for up to 5 s. One still in use is left and named.
   */
  remove(): string | undefined {
    return removeCgroupDir(this.dir);
  }
}

/** How the kubelet would show a container that stopped, from its exit and its cgroup's OOM kills. */
export function kubeletView(exit: { code: number | null; signal: string | null } | undefined, oomKills: number): string {
  if (oomKills > 0)
    return `OOMKilled (exit code 137; the kernel's OOM killer ran ${oomKills} time${oomKills === 1 ? '' : 's'} in its cgroup)`;
  if (!exit) return 'Running';
  if (exit.signal) return `Error (killed by ${exit.signal}, no OOM kill)`;
  return exit.code === 0 ? 'Completed (exit code 0)' : `Error (exit code ${exit.code}: it refused to start or failed)`;
}

/** rmdir of a cgroup folder, tried again while it is busy (EBUSY) for up to `waitMs`; what is left, if anything. */
export function removeCgroupDir(dir: string, waitMs = 5000): string | undefined {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      if (existsSync(dir)) rmdirSync(dir);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > until) return `${dir}: ${(error as Error).message}`;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}
