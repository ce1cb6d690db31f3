/**
 * Runs inside the verify sandbox for test/stack/provisioning-job.live.test.ts: the cluster DNS stand-in, three real
 * nodes launched with the DNS view of pods `restate-N` in the cluster's namespace (advertising
 * `http://restate-N.restate-cluster:5122` as the operator sets it), then the provisioning Job's container as
 * shipped, with the DNS view of a pod in the operator's namespace. Records what happened; the test asserts.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RestateBinaries } from '../../lib/verify/binaries';
import { clusterPodView, podFqdn, registerClusterPods } from '../../lib/verify/cluster-dns';
import type { ClusterUnderTest } from '../../lib/verify/cluster-spec';
import { isolatedMain } from '../../lib/verify/isolated-main';
import type { JobUnderTest } from '../../lib/verify/job-spec';
import { type JobRun, runJobContainer } from '../../lib/verify/job-run';
import { KubeDns } from '../../lib/verify/kube-dns';
import { LocalCluster } from '../../lib/verify/local-cluster';
import { PodView } from '../../lib/verify/pod-view';
import { type CommandResult, runCommand } from '../../lib/verify/restatectl';

export interface JobScenarioInput {
  readonly cluster: ClusterUnderTest;
  readonly binaries: RestateBinaries;
  /** Jobs to run one after another against the same nodes (the first is expected to provision). */
  readonly jobs: readonly { readonly label: string; readonly job: JobUnderTest; readonly timeoutMs: number }[];
}

export interface JobScenarioRecord {
  /**
   * `getent hosts restate-1.restate-cluster` (glibc's resolver) in four views: exit status and first address.
   * (Not `getent ahosts`: it asks with AI_ADDRCONFIG, which finds no address in a loopback-only namespace.)
   */
  readonly lookups: Record<
    'clusterPod' | 'operatorPod' | 'operatorPodWithSearch' | 'operatorPodFqdn',
    { code: number | null; address?: string }
  >;
  readonly jobs: readonly (JobRun & { readonly label: string })[];
  /** restatectl status from a pod of the cluster's namespace, after the Jobs. */
  readonly statusAfter: CommandResult;
  /** Names the DNS stand-in was asked for during the first Job, in order. */
  readonly firstJobQueries: readonly string[];
}

isolatedMain<JobScenarioInput, JobScenarioRecord>(async (input, context) => {
  const { cluster } = input;
  const bin = join(context.workDir, 'bin');
  mkdirSync(bin);
  symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
  const views = join(context.workDir, 'views');

  const dns = registerClusterPods(new KubeDns(), cluster.name, cluster.replicas);
  await dns.start();
  context.onExit(() => dns.stopSync());
  const podViews = Array.from({ length: cluster.replicas }, (_, i) => clusterPodView(dns, cluster.name, i, views));
  const local = new LocalCluster({
    cluster,
    serverBinary: input.binaries.server,
    workDir: context.workDir,
    launch: (node, file, args) => podViews[node.ordinal].command(file, args),
  });
  context.onExit(() => {
    local.stopSync();
    local.removeFiles();
  });

  const view = (id: string, namespace: string, searches?: string[]) =>
    new PodView({
      id,
      dir: views,
      namespace,
      nameserver: dns.ip,
      clusterDomain: dns.domain,
      ip: '127.0.1.11',
      hostname: id,
      dnsConfig: searches ? { searches } : undefined,
    });
  const getent = async (v: PodView, name: string) => {
    const c = v.command('getent', ['hosts', name]);
    const r = await runCommand(c.file, c.args, { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000 });
    return { code: r.code, ...(r.code === 0 ? { address: r.stdout.split(/\s+/)[0] } : {}) };
  };
  const short = 'restate-1.restate-cluster';
  const lookups = {
    clusterPod: await getent(podViews[0], short),
    operatorPod: await getent(view('operator-pod', 'restate-operator'), short),
    operatorPodWithSearch: await getent(view('operator-pod-search', 'restate-operator', [`${cluster.name}.svc.${dns.domain}`]), short),
    operatorPodFqdn: await getent(view('operator-pod-fqdn', 'restate-operator'), podFqdn(cluster.name, 1, dns.domain)),
  };

  await local.start(context.deadline.within(30_000));
  const jobs: (JobRun & { label: string })[] = [];
  let firstJobQueries: string[] = [];
  for (const [i, { label, job, timeoutMs }] of input.jobs.entries()) {
    const before = dns.queries.length;
    const run = await runJobContainer(job, {
      dns,
      dir: join(context.workDir, `job-${i}`),
      binDir: bin,
      timeoutMs: Math.min(timeoutMs, context.deadline.remainingMs() - 15_000),
    });
    if (i === 0) firstJobQueries = dns.queries.slice(before);
    jobs.push({ ...run, label });
    context.progress(`job ${label}: exit ${run.code} after ${run.ms} ms`);
  }
  const ctl = podViews[0].command(input.binaries.restatectl, ['--address', local.nodes[0].address, 'status']);
  const statusAfter = await runCommand(ctl.file, ctl.args, {
    env: { PATH: '/usr/bin:/bin', HOME: context.workDir, NO_COLOR: '1' },
    timeoutMs: 15_000,
  });
  await local.stop();
  local.removeFiles();
  return { lookups, jobs, statusAfter, firstJobQueries };
});
