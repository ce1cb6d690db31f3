/**
 * What writes the operator's objects on verify's control plane (`--on control-plane`): the operator's part
 * (lib/operator-part/reconcile.ts), one reconcile of every RestateCluster per pass as the operator reconciles on each
 * event, or with `--operator-bin` the real restate-operator binary (./operator-binary.ts), which reconciles on its
 * own watch events. Either way the objects reach the API server as field manager `restate-operator`, and the real
 * controllers take it from there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane } from '../control-plane/harness';
import type { RestateClusterObject } from '../operator-part/manifest';
import { reconcileClusters } from '../operator-part/reconcile';
import type { OperatorVersion } from '../values';
import { VerifyError } from './errors';
import { assertExecutable, logTail, type OperatorProcess, startOperatorInOwnNetwork, wrongBinary } from './operator-binary';
import type { OperatorChart } from './operator-chart';
import { lastLine, plain } from './restatectl';

/** The operator running against the control plane. */
export interface OperatorRun {
  /** What runs, for the report: `lib/operator-part` or the binary's path. */
  readonly what: string;
  /** Why it is not doing its work any more (the binary ended, or a pass of the part failed), if so. */
  trouble(): string | undefined;
  stop(): Promise<void>;
}

const PASS_MS = 1000;

/**
 * The operator's part, reconciling every second until stopped. At 2.8.1 with `autoProvision` its provisioning call
 * (provisioning.rs:113-173 @2.8.1: ProvisionCluster to restate-0's fabric port) is made by `restatectl provision`,
 * which makes the same call, to restate-0's pod address from the control plane's namespace.
 */
export function runOperatorPart(cp: ControlPlane, version: OperatorVersion, restatectl: string): OperatorRun {
  let running = true;
  let failed: string | undefined;
  const kubectl = (args: readonly string[], options: { readonly input?: string; readonly check: false }) => cp.kubectl(args, options);
  const provision = async (cluster: RestateClusterObject): Promise<void> => {
    const pod = JSON.parse((await cp.kubectl(['-n', cluster.metadata.name, 'get', 'pod', 'restate-0', '-o', 'json'])).stdout);
    if (!pod.status?.podIP) throw new Error('restate-0 has no address yet');
    const run = await cp.run(restatectl, ['provision', '--yes', '--address', `http://${pod.status.podIP}:5122`], { check: false });
    const said = plain(run.stdout + run.stderr);
    if (!/successfully provisioned|provisioned by somebody else/.test(said)) throw new Error(lastLine(said));
  };
  const loop = (async () => {
    while (running) {
      try {
        await reconcileClusters(kubectl, { version, provision });
        failed = undefined;
      } catch (error) {
        failed = (error as Error).message;
      }
      await new Promise((done) => setTimeout(done, PASS_MS));
    }
  })();
  return {
    what: `lib/operator-part (operator ${version}'s rules)`,
    trouble: () => (failed ? `the operator part's last pass failed: ${failed}` : undefined),
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * The real operator binary at `bin`, checked to be the target's version (its `--help` lists that tag's flags), run
 * with the chart's environment in its release namespace (made here, as Argo CD's CreateNamespace would). A wrong or
 * missing binary is a VerifyError naming `givenBy`.
 */
export async function runOperatorBinary(cp: ControlPlane, bin: string, chart: OperatorChart, givenBy: string): Promise<OperatorRun> {
  assertExecutable(bin, givenBy);
  const wrong = await wrongBinary(cp, bin, chart.version);
  if (wrong) throw new VerifyError(`${givenBy}: ${wrong}`);
  await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: chart.namespace } }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'verify-operator-'));
  // In a network namespace of its own, as in its pod: it binds port 8080 of every address, the pods' ingress port.
  const process: OperatorProcess = await startOperatorInOwnNetwork(cp, bin, chart.env, join(dir, 'operator.log'), { dir });
  return {
    what: `the operator binary ${bin}`,
    trouble: () => {
      const ended = process.ended();
      return ended ? `the operator binary ended (${ended}); its log ends:\n${logTail(process.log, 15)}` : undefined;
    },
    stop: async () => {
      await process.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
