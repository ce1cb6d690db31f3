import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EnforcedPod } from './policy-nft';
import { type CommandResult, runCommand } from './restatectl';
import type { ProvisioningJob } from './target-extras';

export interface JobRunOptions {
  readonly job: ProvisioningJob;
  readonly pod: EnforcedPod;
  readonly workDir: string;
  /** A folder whose `restatectl` stands in for the image's `/usr/local/bin/restatectl`. */
  readonly binDir: string;
  readonly timeoutMs: number;
}

export interface JobRun {
  readonly result: CommandResult;
  /** The command line as run, with the ConfigMap paths mapped into the run's folder. */
  readonly argv: readonly string[];
}

/**
 * Runs the Job's container as synthesized: its command and args, its env, the ConfigMap files it mounts, as
 * the pod's uid (so the NetworkPolicy rules apply to it). The files cannot appear at their container paths on
 * this machine (that would write outside the sandbox's folder), so they are written under the run's folder
 * and an argument that names a mounted file is mapped to its copy; nothing else changes.
 */
export function runProvisioningJob(options: JobRunOptions): Promise<JobRun> {
  const { job, pod } = options;
  const root = join(options.workDir, 'job-root');
  const mapped = new Map<string, string>();
  for (const [path, content] of Object.entries(job.files)) {
    const copy = join(root, path);
    mkdirSync(dirname(copy), { recursive: true });
    writeFileSync(copy, content, { mode: 0o444 });
    mapped.set(path, copy);
  }
  // The pod's emptyDir at /tmp (HOME=/tmp in the Job) becomes a folder of its own.
  const tmp = join(options.workDir, 'job-tmp');
  mkdirSync(tmp, { recursive: true });
  chownSync(tmp, pod.uid, pod.uid);
  const argv = [...job.command, ...job.args].map((a) => mapped.get(a) ?? a);
  const env: Record<string, string> = {
    PATH: `${options.binDir}:/usr/local/bin:/usr/bin:/bin`,
    ...Object.fromEntries(Object.entries(job.env).map(([k, v]) => [k, v === '/tmp' ? tmp : v])),
  };
  const [file, ...args] = argv;
  return runCommand(file, args, { env, timeoutMs: options.timeoutMs, cwd: tmp, uid: pod.uid }).then((result) => ({ result, argv }));
}
