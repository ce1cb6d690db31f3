import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { CLUSTER_FILE } from '../../lib/target-folder/files';
import { parseClusterManifest } from '../../lib/verify/cluster-spec';
import { parseJobManifest, type JobUnderTest } from '../../lib/verify/job-spec';
import { podHostsFile } from '../../lib/verify/pod-dns';
import { runInSandbox } from '../../lib/verify/sandbox';
import type { JobScenarioInput, JobScenarioRecord } from '../support/provisioning-job-scenario';
import { FIXTURE_VALUES } from '../support/values-dir';

// Real restate-server and restatectl (npm) in a loopback-only network namespace, with a cluster DNS stand-in:
// the nodes resolve as pods of the cluster's namespace, the Job as a pod of the operator's namespace.
const PROVISIONING_FILE = '0002-provisioning.k8s.yaml';

describe('the provisioning Job of prod/vultr, run from the operator namespace against real nodes', () => {
  let record: JobScenarioRecord;
  let job: JobUnderTest;

  beforeAll(async () => {
    // GIVEN the prod/vultr target as synthesized: its RestateCluster and its provisioning Job with the ConfigMap script
    const outdir = mkdtempSync(join(tmpdir(), 'restate-stack-job-'));
    try {
      runSynth({ valuesDir: FIXTURE_VALUES, outdir, environment: 'prod', provider: 'vultr', allowStorageChange: false });
      const folder = join(outdir, 'prod', 'vultr');
      const cluster = parseClusterManifest(readFileSync(join(folder, CLUSTER_FILE), 'utf8'), CLUSTER_FILE);
      job = parseJobManifest(readFileSync(join(folder, PROVISIONING_FILE), 'utf8'), PROVISIONING_FILE);
      // The same Job without its dnsConfig: the DNS a pod in the operator namespace has by default.
      const { dnsConfig: _dropped, ...withoutSearch } = job;
      // WHEN the shipped Job runs on the fresh cluster, then again, then the Job without the search domain
      const input: JobScenarioInput = {
        cluster,
        binaries: resolveRestateBinaries(),
        jobs: [
          { label: 'shipped', job, timeoutMs: 120_000 },
          { label: 'shipped, again', job, timeoutMs: 60_000 },
          { label: 'without dnsConfig', job: withoutSearch, timeoutMs: 25_000 },
        ],
      };
      const outcome = await runInSandbox<JobScenarioInput, JobScenarioRecord>({
        entry: join(__dirname, '..', 'support', 'provisioning-job-scenario.ts'),
        input,
        // Nothing resolves through /etc/hosts: every cluster name goes through the DNS stand-in.
        hosts: podHostsFile({ ip: '127.0.1.1', hostname: 'sandbox' }),
        deadlineMs: 240_000,
        output: 'capture',
      });
      if (!outcome.result.ok) throw new Error(`scenario failed: ${outcome.result.error}\n${outcome.log}`);
      record = outcome.result.value;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 270_000);

  test('the nodes’ advertised short names resolve in the cluster namespace only, or through the added search domain', () => {
    // THEN glibc's resolver finds restate-1.restate-cluster from a cluster pod and from an operator pod with the
    // cluster's namespace in its search list, not from a plain operator pod; the full name resolves everywhere
    expect(record.lookups.clusterPod).toEqual({ code: 0, address: '127.0.0.2' });
    expect(record.lookups.operatorPod.code).not.toBe(0);
    expect(record.lookups.operatorPodWithSearch).toEqual({ code: 0, address: '127.0.0.2' });
    expect(record.lookups.operatorPodFqdn).toEqual({ code: 0, address: '127.0.0.2' });
  });

  test('the shipped Job provisions the cluster from the operator namespace and exits 0', () => {
    const [first] = record.jobs;
    // THEN it provisioned the cluster itself, confirmed it, and its pod had the cluster namespace in its search list
    expect([first.code, first.stdout + first.stderr]).toEqual([0, expect.stringContaining('cluster has been successfully provisioned')]);
    expect(first.stdout).toMatch(
      new RegExp(
        'provision: done: the cluster is provisioned and serving: 5 of 5 pods are metadata members, ' +
          '128 of 128 partitions have an active leader\\n' +
          'provision: replication: logs \\{node: 3\\}, partitions \\{node: 3\\}, as wanted: nothing to change\\n$',
      ),
    );
    expect(first.resolvConf).toBe(
      'nameserver 127.0.1.53\nsearch restate-operator.svc.cluster.local svc.cluster.local cluster.local restate-prod.svc.cluster.local\noptions ndots:5\n',
    );
    // AND restatectl reached the nodes by their advertised short names, through the search list
    expect(record.firstJobQueries).toContain('restate-1.restate-cluster.restate-operator.svc.cluster.local');
    expect(record.firstJobQueries).toContain('restate-1.restate-cluster.restate-prod.svc.cluster.local');
    expect(record.statusAfter.code).toBe(0);
  });

  test('the shipped Job on a provisioned cluster reports it at once', () => {
    const second = record.jobs[1];
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already provisioned');
    expect(second.ms).toBeLessThan(10_000);
  });

  test('without the search domain the same Job cannot confirm anything: restatectl status fails with a DNS error', () => {
    // THEN (today's Job, before this fix) it never exits 0: killed at the time limit or failed, with dns errors
    const third = record.jobs[2];
    expect(third.code).not.toBe(0);
    expect(third.stdout + third.stderr).toMatch(/dns error|failed to lookup address/i);
  });
});
