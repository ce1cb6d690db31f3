/**
 * staging/vultr on the podlet, as ./podlet.live.test.ts runs dev/vultr: operator 2.8.1 with `spec.cluster.autoProvision`,
 * so the operator provisions the cluster itself once restate-0 runs (ProvisionCluster over gRPC to
 * `restate-0.restate-cluster.<ns>.svc.cluster.local:5122` with no values, provisioning.rs:111-173 @2.8.1). Promoted
 * through the real kubectl and deploy tasks, its pods made by the real controllers and run by the podlet as real
 * restate-server processes; then `status`, a rolling restart by a pod-template change and a scale-out, as the user
 * makes them (docs/operations.md).
 *
 * The RestateCluster controller is the operator's part at 2.8.1, its provisioning call played by `restatectl
 * provision --yes` exec'd in restate-0 (no values: the node's config, as the call's), or, with
 * `RESTATE_OPERATOR_BIN_2_8_1` set, the real operator 2.8.1 binary (./operator-binary.ts), which makes the call
 * itself: it runs in a network namespace of its own (./operator-binary.ts startOperatorInOwnNetwork) that reaches the
 * API server and restate-0's port 5122 at the address the podlet's hosts file gives restate-0's name.
 *
 * A control plane and a cluster of its own cost minutes that CI (at ~29 of its 30) does not have, and the part's run
 * adds little to ./podlet.live.test.ts: so it runs only when asked, with `RESTATE_OPERATOR_BIN_2_8_1` (the binary)
 * or `RESTATE_PODLET_STAGING=1` (the part); otherwise it says that it did not run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crds as argoCrds } from '../../imports/crds/argoproj.io-v3.5.1';
import { crds as monitoringCrds } from '../../imports/crds/monitoring.coreos.com-v0.93.0';
import { crds as restateCrds } from '../../imports/crds/restate.dev-v2.8.1';
import { type ControlPlane, startControlPlane } from '../../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../../lib/control-plane/install-crds';
import { runsImage } from '../../lib/control-plane/pod-container';
import { runSynth } from '../../lib/synth/run';
import { DeployValuesDir } from '../support/deploy-values';
import { operatorDeployment } from '../support/operator-objects';
import { addContext, deployCli, StandIns } from './deploy-cli';
import { type KubeletNode, startKubeletNode } from './kubelet-stand-in';
import { logTail, type OperatorProcess, startOperatorInOwnNetwork, wrongBinary } from './operator-binary';
import { nodeIds, podSql, rollOf, watchPods } from './pod-watch';
import type { Obj } from './target-cluster';

const NS = 'restate-staging';
const PODS = ['restate-0', 'restate-1', 'restate-2'];
const OPERATOR_BIN = process.env.RESTATE_OPERATOR_BIN_2_8_1 || undefined;
const ASKED = OPERATOR_BIN !== undefined || process.env.RESTATE_PODLET_STAGING === '1';
const OPERATOR = OPERATOR_BIN ? `the real operator ${OPERATOR_BIN}` : 'lib/operator-part';
if (!ASKED)
  process.stderr.write(
    'podlet-staging.live: neither RESTATE_OPERATOR_BIN_2_8_1 nor RESTATE_PODLET_STAGING=1 set: staging/vultr on the podlet did NOT run\n',
  );

(ASKED ? describe : describe.skip)(`staging/vultr on the podlet, operator 2.8.1 (${OPERATOR}) provisioning it`, () => {
  let cp: ControlPlane;
  let standIns: StandIns;
  let node: KubeletNode;
  let operator: OperatorProcess | undefined;
  const values = new DeployValuesDir();
  const dist = mkdtempSync(join(tmpdir(), 'podlet-staging-'));
  const STAGING = ['--environment', 'staging', '--provider', 'vultr', '--values-dir', values.path, '--context', NS];
  const get = async (args: string[]): Promise<Obj> => JSON.parse((await cp.kubectl([...args, '-o', 'json'])).stdout);
  const synth = () =>
    runSynth({ environment: 'staging', provider: 'vultr', valuesDir: values.path, outdir: dist, allowStorageChange: false });

  async function promote() {
    const run = await deployCli(cp, ['promote', ...STAGING, '--dist', dist, '--timeout', '300'], { timeoutMs: 900_000 });
    if (run.code !== 0) {
      const log = operator ? `\noperator:\n${logTail(operator.log, 30)}` : `\nstand-ins: ${standIns.lastError}`;
      console.info(`promote's output:\n${run.stdout}${run.stderr}${log}\npodlet:\n${node.output().slice(-3000)}`);
    }
    return run;
  }

  beforeAll(async () => {
    synth();
    cp = await startControlPlane();
    await installCrds(cp, [...argoCrds, ...monitoringCrds] as readonly CrdObject[]);
    for (const name of ['argocd', 'monitoring']) await cp.kubectl(['create', 'namespace', name]);
    await addContext(cp, NS);
    node = await startKubeletNode(cp, 'podlet-1', 60_000, { runPods: true });
    standIns = new StandIns(cp);
    standIns.volumes = false;
    standIns.kubelet = { leave: (pod) => pod.spec.containers.every((c: Obj) => runsImage(c.image)) };
    standIns.operator = {
      version: '2.8.1',
      provision: async (cluster) => {
        const args = ['-n', cluster.metadata.name, 'exec', 'restate-0', '--', 'restatectl', 'provision', '--yes'];
        const run = await cp.kubectl(args, { check: false, timeoutMs: 60_000 });
        const said = `${run.stdout}${run.stderr}`;
        // (restatectl exits 0 on an unreachable node too: its words tell)
        if (run.code !== 0 || !/successfully provisioned|provisioned by somebody else/i.test(said))
          throw new Error(`restatectl provision in restate-0: ${said.trim().split('\n').pop()}`);
      },
    };
    if (OPERATOR_BIN) {
      const wrong = await wrongBinary(cp, OPERATOR_BIN, '2.8.1');
      if (wrong) throw new Error(`RESTATE_OPERATOR_BIN_2_8_1: ${wrong}`);
      await installCrds(cp, restateCrds as readonly CrdObject[]);
      const deployment = operatorDeployment(join(dist, 'staging', 'vultr'));
      await cp.kubectl(['create', 'namespace', deployment.namespace]);
      standIns.operatorPart = false;
      // in a network namespace of its own (it binds 0.0.0.0:8080, the pods' ingress port), reaching the API server and
      // restate-0's 5122 at the address the podlet's hosts file gives it
      const restate0 = { name: `restate-0.restate-cluster.${NS}.svc.cluster.local`, port: 5122, hosts: node.hostsFile(NS) };
      const log = join(dist, 'operator.log');
      operator = await startOperatorInOwnNetwork(cp, OPERATOR_BIN, deployment.env, log, { dir: dist, pods: [restate0] });
    }
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    await standIns?.stop();
    await node?.stop();
    await cp?.stop();
    values.remove();
    rmSync(dist, { recursive: true, force: true });
  }, 120_000);

  test('promote: the operator provisions the cluster once restate-0 runs; Ready, every partition led', async () => {
    // WHEN promoting staging/vultr through the real kubectl
    const run = await promote();

    // THEN promote ran no provisioning of its own, the operator's call provisioned the cluster, and the gate saw every
    // pod a metadata member and every partition led
    expect(run.recordedCalls).toEqual([]);
    expect(run.stdout).toContain('no provisioning step: the operator provisions the cluster (spec.cluster.autoProvision)');
    expect(run.stdout).toMatch(/3 of 3 pods are metadata members, \d+ of \d+ partitions/);
    expect(run.code).toBe(0);
    const cluster = await get(['get', 'restatecluster', NS]);
    expect(cluster.status.provisioned).toBe(true);
    expect(cluster.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Reconciled' });
    if (operator) expect(logTail(operator.log, 10_000)).toMatch(/Cluster provisioned successfully/);
  }, 900_000);

  test('status: Ready, provisioned, three nodes', async () => {
    const run = await deployCli(cp, ['status', ...STAGING]);
    expect(run.recordedCalls).toEqual([]);
    for (const pod of PODS) expect(run.stdout).toMatch(new RegExp(`^\\s+N\\d+:\\d+\\s+${pod}\\s`, 'm'));
    expect(run.stdout).toContain('== summary: Ready, provisioned');
    expect(run.code).toBe(0);
  }, 180_000);

  test('rolling restart (the image): one pod at a time, highest first, each gated on its probe (30 s initial delay at 2.8.1)', async () => {
    // GIVEN the pods' uids and node ids, and a watch on the pods
    const before = await nodeIds(cp, NS);
    const listed: Obj[] = (await get(['-n', NS, 'get', 'pods'])).items;
    const uids = new Map(listed.filter((p) => PODS.includes(p.metadata.name)).map((p) => [p.metadata.name, p.metadata.uid]));
    const watch = watchPods(cp, NS);
    const started = Date.now();
    let run: Awaited<ReturnType<typeof promote>>;
    try {
      // WHEN the user commits the next image minor and promotes it
      values.set('environments/staging.yaml', ['image'], 'restatedev/restate:1.5.0');
      synth();
      run = await promote();
    } finally {
      watch.stop();
    }
    expect(run.code).toBe(0);
    // THEN the roll is the StatefulSet controller's: restate-2, restate-1, restate-0, never two pods unhealthy at once,
    // each node back on its volume under its id
    const roll = rollOf(watch.events, uids);
    expect([roll.order, roll.mostUnhealthy, roll.down]).toEqual([['restate-2', 'restate-1', 'restate-0'], 1, PODS]);
    const after = await nodeIds(cp, NS);
    for (const pod of PODS) expect(after.get(pod)?.split(':')[0]).toBe(before.get(pod)?.split(':')[0]);
    console.info(`staging/vultr roll with ${OPERATOR}: promote took ${Math.round((Date.now() - started) / 1000)} s`);
  }, 900_000);

  test('scale out 3 -> 4: restate-3 joins and runs partition processors', async () => {
    values.set('environments/staging.yaml', ['replicas'], 4);
    synth();
    const run = await promote();
    expect(run.stdout).toMatch(/4 of 4 pods are metadata members/);
    expect(run.code).toBe(0);
    const ids = await nodeIds(cp, NS);
    expect([...ids.keys()].sort()).toEqual([...PODS, 'restate-3']);
    const deadline = Date.now() + 120_000;
    let active: Obj[] = [];
    while (active.length === 0 && Date.now() < deadline) {
      const rows = await podSql(
        cp,
        NS,
        'restate-0',
        `SELECT partition_id, replay_status FROM partition_state WHERE gen_node_id = '${ids.get('restate-3')}'`,
      );
      active = rows.filter((r) => r.replay_status.toLowerCase() === 'active');
      if (active.length === 0) await new Promise((done) => setTimeout(done, 1000));
    }
    expect(active.length).toBeGreaterThan(0);
  }, 900_000);
});
