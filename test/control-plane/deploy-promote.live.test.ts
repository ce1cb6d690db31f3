/**
 * `deploy:preview` and `deploy:promote` against a real API server and its controllers, through the real kubectl
 * (./deploy-cli.ts). What does not run here is played through the API by named stand-ins, looping while the command
 * runs: Argo CD syncing the operator Application (./argocd-operator-stand-in.ts) and the kubelet
 * (./kubelet-stand-in.ts); the operator's RestateCluster controller is the operator's part (lib/operator-part/).
 *
 * dev/aws with object-store metadata (auto-provision = true) is promoted with no `kubectl exec` at all. prod/vultr (the
 * provisioning Job) ends with the partition-health gate, `kubectl exec -i` of a script into restate-0 that needs the
 * cluster's five restate-server nodes: that one call goes to the recording kubectl (test/fixtures/kubectl); every other
 * call, `kubectl logs` included, to the real server. `status` runs wholly on the real server: `restatectl status` is
 * exec'd through the API server into restate-0 on the stand-in kubelet's node endpoint (./kubelet-node.ts), where npm's
 * restatectl asks a real single-node restate-server; a crash-looping pod's previous log comes from the same endpoint,
 * and so do the last log lines of a provisioning Job whose pod failed there.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crds as argoCrds } from '../../imports/crds/argoproj.io-v3.5.1';
import { crds as monitoringCrds } from '../../imports/crds/monitoring.coreos.com-v0.93.0';
import { runSynth } from '../../lib/synth/run';
import { DeployValuesDir } from '../support/deploy-values';
import { addContext, deployCli, StandIns } from './deploy-cli';
import { type ControlPlane, startControlPlane } from '../../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../../lib/control-plane/install-crds';
import { type KubeletNode, startKubeletNode, startRestateServer } from './kubelet-stand-in';
import type { Obj } from './target-cluster';

/** What restate-server 1.7 logs when its log-server marker is gone (lib/deploy's DATA_LOSS_LOG reads it). */
const DATA_LOSS_LINE = 'Detected data loss for log-server of my node N2. The log-server marker is missing\n';

describe('deploy:preview, deploy:promote and status on a real API server', () => {
  let cp: ControlPlane;
  let standIns: StandIns;
  let kubelet: KubeletNode;
  const values = new DeployValuesDir().set('environments/dev.yaml', ['metadata', 'store'], 'object-store');
  const dist = mkdtempSync(join(tmpdir(), 'deploy-promote-dist-'));
  const DEV = ['--environment', 'dev', '--provider', 'aws', '--values-dir', values.path, '--dist', dist, '--context', 'restate-dev'];
  const PROD = ['--environment', 'prod', '--provider', 'vultr', '--values-dir', values.path, '--dist', dist, '--context', 'restate-prod'];
  const get = async (args: string[]): Promise<Obj> => JSON.parse((await cp.kubectl([...args, '-o', 'json'])).stdout);
  const synth = (environment: string, provider: string) =>
    runSynth({ environment, provider, valuesDir: values.path, outdir: dist, allowStorageChange: false });

  beforeAll(async () => {
    synth('dev', 'aws');
    synth('prod', 'vultr');
    cp = await startControlPlane();
    // What the cluster has before the first promote: Argo CD and the Prometheus Operator installed (their CRDs and
    // namespaces); not the operator, its CRDs or the cluster's namespace.
    await installCrds(cp, [...argoCrds, ...monitoringCrds] as readonly CrdObject[]);
    for (const name of ['argocd', 'monitoring']) await cp.kubectl(['create', 'namespace', name]);
    await addContext(cp, 'restate-dev');
    await addContext(cp, 'restate-prod');
    standIns = new StandIns(cp);
    kubelet = await startKubeletNode(cp);
  }, 120_000);

  afterAll(async () => {
    await standIns?.stop();
    await kubelet?.stop();
    await cp?.stop();
    values.remove();
    rmSync(dist, { recursive: true, force: true });
  }, 60_000);

  test('preview on a cluster never promoted: the operator file would be created, the RestateCluster cannot be diffed yet', async () => {
    // GIVEN a cluster with Argo CD but no restate.dev CRDs
    // WHEN previewing dev/aws
    const run = await deployCli(cp, ['preview', ...DEV]);

    // THEN the server-side diff of the operator Application shows it new, and the RestateCluster's fails (no such kind)
    expect(run.stdout).toMatch(/0000-operator\.k8s\.yaml: differences:\n(.*\n)*.*\+kind: Application/);
    expect(run.stderr).toMatch(
      /0001-cluster\.k8s\.yaml: kubectl diff failed \(exit 2\):\n.*no matches for kind "RestateCluster" in version "restate\.dev\/v1"/,
    );
    expect(run.stderr).toContain('On a cluster that has never been promoted, diffs of the RestateCluster');
    expect(run.code).toBe(1);
  }, 120_000);

  test('promote takes dev/aws from nothing to Ready: every wait ends on what the controllers and stand-ins write', async () => {
    // GIVEN the cluster of the previous test, and the stand-ins looping
    // WHEN promoting dev/aws (auto-provision: no exec anywhere)
    const run = await deployCli(cp, ['promote', ...DEV, '--timeout', '120']);

    // THEN it ran every step to Ready, printing each step and the rollout it saw
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('promoted dev/aws: RestateCluster restate-dev is Ready');
    expect(run.stdout).toMatch(
      /^ {4}Ready, 3\/3 pods ready at revision restate-\w+ \[restate-0 ready, restate-1 ready, restate-2 ready\]$/m,
    );
    // AND the cluster holds what it reported
    const sts = await get(['-n', 'restate-dev', 'get', 'statefulset/restate']);
    expect([sts.status.readyReplicas, sts.status.currentRevision]).toEqual([3, sts.status.updateRevision]);
    const deployment = await get(['-n', 'restate-operator', 'get', 'deployment/restate-operator']);
    expect(deployment.status.conditions.find((c: Obj) => c.type === 'Available').status).toBe('True');
  }, 300_000);

  test('preview on the promoted cluster: the real server-side diff of every file is empty', async () => {
    // GIVEN dev/aws promoted (previous test), the operator's status written since
    // WHEN previewing it
    const run = await deployCli(cp, ['preview', ...DEV]);

    // THEN every file has no differences, and preview says the cluster matches
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/0000-operator\.k8s\.yaml: no differences\n.*0001-cluster\.k8s\.yaml: no differences\n/);
    expect(run.stdout).toContain('preview: the cluster matches the target');
    expect(run.code).toBe(0);
  }, 120_000);

  test('a field another manager took is a conflict for preview and promote; --force-conflicts takes it back and promote ends Ready', async () => {
    // GIVEN the cluster's replicas changed to 4 by `kubectl edit` (its field manager), which the operator stand-in follows
    await cp.kubectl([
      'patch',
      'restatecluster',
      'restate-dev',
      '--type=merge',
      '--field-manager=kubectl-edit',
      '-p',
      '{"spec":{"compute":{"replicas":4}}}',
    ]);

    // WHEN previewing and promoting as usual
    const preview = await deployCli(cp, ['preview', ...DEV]);
    const refused = await deployCli(cp, ['promote', ...DEV, '--timeout', '120']);

    // THEN the diff and the apply are refused by the server, naming the other manager and the field
    expect(preview.code).toBe(1);
    expect(preview.stderr).toMatch(
      /0001-cluster\.k8s\.yaml: kubectl diff failed \(exit 2\):\n[\s\S]*Apply failed with 1 conflict: conflict with "kubectl-edit" .*: \.spec\.compute\.replicas/,
    );
    expect(preview.stderr).toContain('pass --force-conflicts to preview and promote when this stack should own them');
    expect(preview.stderr).not.toContain('never been promoted');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /promote: server-side apply of .*0001-cluster\.k8s\.yaml failed \(kubectl exit 1\):\n.*conflict with "kubectl-edit"/,
    );
    expect(refused.stdout).not.toContain('[9/18]');

    // WHEN promoting with --force-conflicts
    const forced = await deployCli(cp, ['promote', ...DEV, '--timeout', '120', '--force-conflicts']);

    // THEN the field is ours again, and the rollout back to 3 pods was waited for
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/Ready, 3\/3 pods ready at revision/);
    const cluster = await get(['get', 'restatecluster/restate-dev', '--show-managed-fields']);
    expect(cluster.spec.compute.replicas).toBe(3);
    const owners = cluster.metadata.managedFields.filter((f: Obj) => JSON.stringify(f.fieldsV1 ?? {}).includes('f:replicas'));
    expect(owners.map((f: Obj) => f.manager)).toEqual(['restate-stack']);
    expect((await get(['-n', 'restate-dev', 'get', 'statefulset/restate'])).spec.replicas).toBe(3);
  }, 300_000);

  test('a stale build is refused before anything reaches the server', async () => {
    // GIVEN the values changed since dev/aws was built
    // (the spec's generation and restate-stack's managed fields: the operator's part keeps writing the status as
    // the StatefulSet settles, as the operator does, so the resourceVersion may move)
    const written = (rc: Obj) => [rc.metadata.generation, rc.metadata.managedFields.filter((f: Obj) => f.manager === 'restate-stack')];
    const before = written(await get(['get', 'restatecluster/restate-dev', '--show-managed-fields']));
    values.set('environments/dev.yaml', ['replicas'], 5);
    try {
      // WHEN promoting the old build
      const run = await deployCli(cp, ['promote', ...DEV]);

      // THEN it is refused as stale, and the cluster is untouched
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('differs from a fresh synth of the values');
      expect(run.stdout).toBe('');
      expect(written(await get(['get', 'restatecluster/restate-dev', '--show-managed-fields']))).toEqual(before);
    } finally {
      values.set('environments/dev.yaml', ['replicas'], 3);
    }
  }, 120_000);

  test('a pod that never turns Ready: the last wait prints what it sees, then times out naming what is missing', async () => {
    // GIVEN a kubelet whose restate-2 stops being Ready
    standIns.kubelet = { ready: (pod) => pod.metadata.name !== 'restate-2' };
    try {
      // WHEN promoting with a 6 s bound per wait
      const run = await deployCli(cp, ['promote', ...DEV, '--timeout', '6']);

      // THEN the steps before pass, the rollout wait prints the picture and fails with it at its deadline
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        '[18/18] waiting up to 6s for RestateCluster restate-dev to be Ready and StatefulSet restate-dev/restate rolled out',
      );
      expect(run.stdout).toMatch(/^ {4}2\/3 ready; RestateCluster Ready=False \[restate-0 ready, restate-1 ready, restate-2 not ready\]$/m);
      expect(run.stderr).toContain(
        'timed out after 6s waiting for RestateCluster restate-dev to be Ready and rolled out: 2/3 ready; RestateCluster Ready=False ' +
          '[restate-0 ready, restate-1 ready, restate-2 not ready]',
      );
      expect(run.stderr).toContain('kubectl -n restate-dev rollout status statefulset/restate');
    } finally {
      standIns.kubelet = {};
    }
  }, 120_000);

  test("status reads everything from the server: restatectl status runs in restate-0 (a real restate-server), the previous log is the kubelet's", async () => {
    // GIVEN dev/aws promoted, and restate-1 crash-looping after it came back without its volume
    standIns.kubelet = { crashLooping: (pod) => pod.metadata.name === 'restate-1' };
    let server: ChildProcess | undefined;
    try {
      // (written by the kubelet stand-in, counted by the StatefulSet controller, read by the operator stand-in)
      const settled = async () => {
        const pods: Obj[] = (await get(['-n', 'restate-dev', 'get', 'pods'])).items;
        const state = (name: string) => pods.find((pod) => pod.metadata.name === name)?.status.containerStatuses?.[0];
        const sts = await get(['-n', 'restate-dev', 'get', 'statefulset/restate']);
        const cluster = await get(['get', 'restatecluster/restate-dev']);
        return (
          state('restate-1')?.state.waiting?.reason === 'CrashLoopBackOff' &&
          state('restate-2')?.ready === true &&
          sts.status.readyReplicas === 2 &&
          cluster.status.conditions[0].status === 'False'
        );
      };
      for (let i = 0; i < 120 && !(await settled()); i++) await new Promise((done) => setTimeout(done, 500));
      // restate-0 and restate-1 on the stand-in kubelet's Node (the scheduler places nothing there: their claims are
      // never bound); behind restate-0's container a real restate-server (one node, provisioning itself), on the pod
      // address restatectl is given (IN_POD_ADDRESS, loopback of the namespace); restate-1's previous instance wrote
      // what a node that lost its volume writes.
      for (const pod of ['restate-0', 'restate-1']) await kubelet.bind('restate-dev', pod);
      const container = (await get(['-n', 'restate-dev', 'get', 'pod/restate-1'])).spec.containers[0].name as string;
      kubelet.writeLog('restate-dev', 'restate-1', container, DATA_LOSS_LINE, { previous: true });
      server = await startRestateServer(cp, 'restate-0');

      // WHEN asking for the status, every kubectl call to the real server
      const run = await deployCli(cp, [
        'status',
        '--environment',
        'dev',
        '--provider',
        'aws',
        '--values-dir',
        values.path,
        '--context',
        'restate-dev',
      ]);

      // THEN the operator's False Ready, the pods as the server lists them, and the lost volume with its recovery
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Ready\s+False\s+StatefulSetPodNotReady\s+StatefulSet has 2 ready replicas instead of the expected 3/);
      expect(run.stdout).toMatch(/restate-1\s+0\/1\s+CrashLoopBackOff\s+3/);
      expect(run.stdout).toMatch(/restate-0\s+1\/1\s+Running\s+0/);
      expect(run.stdout).toContain("object storage credentials: workload identity (the pods' service account), no Secret");
      // AND restatectl 1.7.12's own table of the node it reached through exec, exit 0: provisioned
      expect(run.stdout).toMatch(/== restatectl status \(restate-dev\/restate-0\)\n\s+Node Configuration \(v\d+\)\n/);
      expect(run.stdout).toMatch(/^\s+N1:\d+\s+restate-0\s+/m);
      expect(run.stdout).not.toContain('not provisioned, or restate-0 does not answer');
      expect(run.stdout).toContain('== restate-1 lost its volume');
      expect(run.stdout).toContain('mise run recover --environment dev --provider aws --node restate-1');
      expect(run.recordedCalls).toEqual([]);
    } finally {
      standIns.kubelet = {};
      server?.kill('SIGKILL');
    }
  }, 120_000);

  describe('prod/vultr: the provisioning Job (the partition-health gate, `kubectl exec` of a five-node script, stays recorded)', () => {
    const SERVING = {
      commands: ['exec' as const],
      rules: ['*exec -i restate-0 -- sh -s -- * --wait-serving|0|provision: serving: every partition has a leader\\n|'],
    };
    const job = () => get(['-n', 'restate-operator', 'get', 'job/restate-prod-provision']);

    test('promote runs the Job to Complete, then waits for Ready, the serving gate and applies monitoring', async () => {
      // GIVEN the operator installed by dev's promote, and prod/vultr's build
      // WHEN promoting prod/vultr
      const run = await deployCli(cp, ['promote', ...PROD, '--timeout', '120'], { recorded: SERVING });

      // THEN the Job completed on the server (its pod succeeded), the cluster rolled out and the last file applied
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('waiting up to 120s for provisioning Job restate-operator/restate-prod-provision to complete');
      expect(run.stdout).toContain('provision: serving: every partition has a leader');
      expect(run.stdout).toMatch(
        /applying monitoring: .*0003-monitoring\.k8s\.yaml\n\s+podmonitor\.monitoring\.coreos\.com\/restate-prod serverside-applied/,
      );
      expect(run.recordedCalls).toHaveLength(1);
      expect((await job()).status.conditions.find((c: Obj) => c.type === 'Complete').status).toBe('True');
    }, 300_000);

    test('the next image: promote replaces the Job (the server refuses a changed Job template) and rolls the pods', async () => {
      // GIVEN the running Job, and prod/vultr rebuilt for the next image
      const before = await job();
      const image = before.spec.template.spec.containers[0].image as string;
      const next = image.replace(/:(\d+)\.(\d+)\.\d+$/, (_, major, minor) => `:${major}.${Number(minor) + 1}.0`);
      values.set('environments/prod.yaml', ['image'], next);
      synth('prod', 'vultr');
      // (the server does refuse the new template in place: what promote's delete step is for)
      const inPlace = await cp.kubectl(
        [
          'apply',
          '--server-side',
          '--field-manager=restate-stack',
          '--dry-run=server',
          '-f',
          join(dist, 'prod', 'vultr', '0002-provisioning.k8s.yaml'),
        ],
        { check: false },
      );
      expect(inPlace.stderr).toMatch(/The Job "restate-prod-provision" is invalid: spec\.template: .*field is immutable/s);

      // WHEN promoting it
      const run = await deployCli(cp, ['promote', ...PROD, '--timeout', '150'], { recorded: SERVING });

      // THEN the old Job went, a new one ran the new image to Complete, and every pod rolled to it
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('removing previous provisioning Job restate-operator/restate-prod-provision, if any');
      expect(run.stdout).toMatch(/\(old revision\)/);
      const after = await job();
      expect(after.metadata.uid).not.toBe(before.metadata.uid);
      expect(after.spec.template.spec.containers[0].image).toBe(next);
      const sts = await get(['-n', 'restate-prod', 'get', 'statefulset/restate']);
      expect([sts.spec.template.spec.containers[0].image, sts.status.updatedReplicas, sts.status.currentRevision]).toEqual([
        next,
        5,
        sts.status.updateRevision,
      ]);
    }, 300_000);

    test("a Job that never completes times out with the server's answer for its logs", async () => {
      // GIVEN a kubelet that leaves the Job's pod Pending
      standIns.kubelet = { completeJobs: false };
      try {
        // WHEN promoting with a 5 s bound per wait
        const run = await deployCli(cp, ['promote', ...PROD, '--timeout', '5'], { recorded: SERVING });

        // THEN the Job wait times out, and the last log lines are what the real server answers for a pod that never ran
        expect(run.code).toBe(1);
        expect(run.stderr).toContain('timed out after 5s waiting for provisioning Job restate-operator/restate-prod-provision to complete');
        expect(run.stderr).toContain('last log lines of job/restate-prod-provision:');
        // (`kubectl logs job/…` exits 0 with no output for it: promote names the pod and its phase)
        expect(run.stderr).toMatch(
          /last log lines of job\/restate-prod-provision:\n {4}\(no log output: restate-prod-provision-\w+ Pending; a Pending pod/,
        );
      } finally {
        standIns.kubelet = {};
      }
    }, 120_000);

    test("a Job whose pod fails: promote's error ends with the pod's last log lines, as the kubelet serves them", async () => {
      // GIVEN a kubelet whose Job pods run on its Node, print 30 lines and exit 1
      const lines = Array.from({ length: 29 }, (_, i) => `provision: step ${i + 1}`);
      const printed = `${[...lines, 'provision: restatectl provision failed: cluster already provisioned differently'].join('\n')}\n`;
      const jobPod = (pod: Obj) => pod.metadata.ownerReferences?.some((o: Obj) => o.kind === 'Job');
      standIns.kubelet = { failJobs: true, node: { kubelet, log: (pod) => (jobPod(pod) ? printed : undefined) } };
      try {
        // WHEN promoting with a 5 s bound per wait (the Job retries its pod after a 10 s back-off)
        const run = await deployCli(cp, ['promote', ...PROD, '--timeout', '5'], { recorded: SERVING });

        // THEN the Job wait fails, and its error quotes the last 20 lines the failed pod printed, through the real
        // `kubectl logs job/… --tail=20`, the API server and the node endpoint
        expect(run.code).toBe(1);
        const quoted = run.stderr.slice(run.stderr.indexOf('last log lines of job/restate-prod-provision:'));
        expect(quoted).toContain('\n    provision: step 11\n');
        expect(quoted).toContain('provision: step 29\n    provision: restatectl provision failed: cluster already provisioned differently');
        expect(quoted).not.toContain('    provision: step 10\n');
        const pods: Obj[] = (
          await get(['-n', 'restate-operator', 'get', 'pods', '-l', 'batch.kubernetes.io/job-name=restate-prod-provision'])
        ).items;
        expect(pods.map((pod) => [pod.spec.nodeName, pod.status.phase])).toContainEqual([kubelet.name, 'Failed']);
      } finally {
        standIns.kubelet = {};
      }
    }, 120_000);
  });
});
