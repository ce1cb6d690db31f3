import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobUnderTest } from './job-spec';
import type { KubeDns } from './kube-dns';
import { PodView } from './pod-view';
import { type CommandResult, runCommand } from './restatectl';

export interface JobRunOptions {
  /** The cluster DNS stand-in the pod's resolver asks. */
  readonly dns: KubeDns;
  /** An empty folder for the pod's files. */
  readonly dir: string;
  /** A folder holding `restatectl` (the image has it in /usr/local/bin): first on PATH. */
  readonly binDir: string;
  /** The pod's loopback stand-in address, for its /etc/hosts. @default 127.0.1.10 */
  readonly ip?: string;
  /** Hard limit of the run; the container is killed after it. */
  readonly timeoutMs: number;
  /** The uid (and gid) the container runs as, e.g. its pod's in the NetworkPolicy model; its volumes are its. @default - root */
  readonly uid?: number;
}

export interface JobRun extends CommandResult {
  /** The pod's resolv.conf as the kubelet would write it. */
  readonly resolvConf: string;
}

/**
 * Runs the Job's container as shipped: its command, args and literal env, with the pod's DNS view (its own
 * namespace, `dnsPolicy: ClusterFirst` plus its `dnsConfig`). The volumes are laid out in `dir` (ConfigMap files
 * written out, emptyDirs empty), and each mount path in the command, args and env is replaced by its folder
 * there: the sandbox shares the host's root file system and creates no /scripts. With `uid`, it runs as the
 * model's uid for the pod (what the NetworkPolicy rules know it by), not its securityContext's. Not modelled:
 * the read-only root file system and resource limits.
 */
export function runJobContainer(job: JobUnderTest, options: JobRunOptions): Promise<JobRun> {
  if (job.dnsPolicy !== 'ClusterFirst')
    throw new Error(`${job.file}: verify models dnsPolicy ClusterFirst only, the Job has ${job.dnsPolicy}`);
  const volumes: [string, string][] = job.mounts
    .map((m, i): [string, string] => {
      const local = join(options.dir, `volume-${i}`);
      mkdirSync(local, { recursive: true });
      if (options.uid !== undefined) chownSync(local, options.uid, options.uid);
      for (const [name, text] of Object.entries(m.files ?? {})) writeFileSync(join(local, name), text);
      return [m.mountPath.replace(/\/$/, ''), local];
    })
    .sort((a, b) => b[0].length - a[0].length);
  const mapPath = (value: string): string => {
    for (const [path, local] of volumes) if (value === path || value.startsWith(`${path}/`)) return local + value.slice(path.length);
    return value;
  };
  const view = new PodView({
    id: `${job.namespace}.${job.name}`,
    dir: options.dir,
    namespace: job.namespace,
    clusterDomain: options.dns.domain,
    nameserver: options.dns.ip,
    ip: options.ip ?? '127.0.1.10',
    hostname: `${job.name}-pod`,
    dnsConfig: job.dnsConfig,
  });
  const env: Record<string, string> = { PATH: `${options.binDir}:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, NO_COLOR: '1' };
  for (const e of job.env) env[e.name] = mapPath(e.value);
  const [file, ...rest] = [...job.command, ...job.args].map(mapPath);
  const command = view.command(file, rest, options.uid);
  return runCommand(command.file, command.args, { env, timeoutMs: options.timeoutMs }).then((r) => ({
    ...r,
    resolvConf: view.resolv.text,
  }));
}
