/**
 * npx tsx scripts/record-operator-objects.ts --operator-bin PATH --environment E --provider P [--tag vX.Y.Z]
 *   [--dist dist] [--timeout-seconds 240] [--log FILE]
 *
 * Records what the real restate-operator creates for a shipped target on a real API server: starts a test control
 * plane (lib/control-plane/harness.ts), installs the restate.dev CRDs of the target's version (imports/crds/), runs
 * the binary inside the control plane's network namespace with the environment the target's operator chart gives its
 * Deployment (test/support/operator-objects.ts `operatorDeployment`), applies the target's RestateCluster from
 * dist/, waits until the objects the operator wrote stop changing, reads them back and writes them normalized to
 * test/data/operator-objects/<tag>/<environment>-<provider>.json. The operator and the control plane are stopped at
 * the end, also on failure. See docs/verify.md ("The real operator") for what the binary must be.
 *
 * The operator runs with the admin kubeconfig (the chart's ServiceAccount and RBAC are listed in docs/verify.md).
 * The binary has no `--version`; it is checked to be the tag's by the set of environment variables its `--help`
 * lists (src/main.rs of each tag). Exit status 1 when the objects did not settle before the deadline (what was
 * there is still written, and the operator's log tail printed); 2 on a usage error.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { crds as restate174 } from '../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../imports/crds/restate.dev-v2.8.1';
import { type ControlPlane, startControlPlane } from '../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../lib/control-plane/install-crds';
import { logTail as tail, type OperatorProcess as Operator, startOperator, wrongBinary } from '../test/control-plane/operator-binary';
import {
  distCluster,
  normalizeObject,
  type Obj,
  objectKey,
  operatorFieldsOf,
  operatorDeployment,
  RECORDED,
  recordingPath,
  recordingText,
  sortObjects,
  writtenByOperator,
} from '../test/support/operator-objects';

const ROOT = resolve(__dirname, '..');

/** Every kind the chart's ClusterRole and Role let the operator write, that the control plane serves. */
const KINDS = [
  'namespaces',
  'serviceaccounts',
  'configmaps',
  'secrets',
  'services',
  'pods',
  'networkpolicies.networking.k8s.io',
  'poddisruptionbudgets.policy',
  'statefulsets.apps',
  'deployments.apps',
  'replicasets.apps',
  'jobs.batch',
  'horizontalpodautoscalers.autoscaling',
];

/** The objects settled when a reading equals the ones of this long before (polled every POLL_MS). */
const QUIET_MS = 10_000;
const POLL_MS = 1_000;

/** A mistake in the command line or the binary: exit status 2, after the control plane (if any) is stopped. */
class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

function note(line: string): void {
  process.stderr.write(`record-operator-objects: ${line}\n`);
}

/** The objects the operator wrote and the RestateCluster, normalized and sorted; the fields the operator set in each. */
async function operatorObjects(cp: ControlPlane, clusterName: string): Promise<{ objects: Obj[]; fields: Record<string, Obj> }> {
  const listed = await cp.kubectl(['get', KINDS.join(','), '--all-namespaces', '--show-managed-fields', '-o', 'json'], {
    timeoutMs: 60_000,
  });
  // PersistentVolumeClaims are the StatefulSet controller's; the operator patches the size of those its cache holds
  // (which of them, at a given moment, varies by run), so they are left out.
  const written = (JSON.parse(listed.stdout).items as Obj[]).filter((o) => o.kind !== 'PersistentVolumeClaim' && writtenByOperator(o));
  const cluster = JSON.parse((await cp.kubectl(['get', 'restatecluster', clusterName, '--show-managed-fields', '-o', 'json'])).stdout);
  const fields: Record<string, Obj> = {};
  for (const object of [...written, cluster]) {
    const set = operatorFieldsOf(object);
    if (set) fields[objectKey(object)] = set;
  }
  return { objects: sortObjects([...written, cluster].map(normalizeObject)), fields };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      'operator-bin': { type: 'string' },
      environment: { type: 'string' },
      provider: { type: 'string' },
      tag: { type: 'string' },
      dist: { type: 'string', default: 'dist' },
      'timeout-seconds': { type: 'string', default: '240' },
      log: { type: 'string' },
    },
  });
  const bin = args['operator-bin'] ? resolve(args['operator-bin']) : usage('--operator-bin PATH is required');
  const environment = args.environment ?? usage('--environment is required');
  const provider = args.provider ?? usage('--provider is required');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    usage(`--operator-bin ${bin}: not an executable file`);
  }
  const targetDir = resolve(args.dist, environment, provider);
  const deployment = operatorDeployment(targetDir);
  const tag = args.tag ?? `v${deployment.version}`;
  if (tag !== `v${deployment.version}`) usage(`--tag ${tag}: ${environment}/${provider} runs operator v${deployment.version}`);
  const cluster = distCluster(targetDir);
  const timeoutMs = Number(args['timeout-seconds']) * 1000;

  const work = mkdtempSync(join(tmpdir(), 'operator-record-'));
  // The operator's own output: kept where --log says, else removed with the run's folder.
  const log = args.log ? resolve(args.log) : join(work, 'operator.log');
  if (args.log) writeFileSync(log, '');
  const started = Date.now();
  let cp: ControlPlane | undefined;
  let operator: Operator | undefined;
  try {
    cp = await startControlPlane({ timeoutMs: 120_000 });
    note(`control plane ready in ${cp.startMs} ms`);
    const wrong = await wrongBinary(cp, bin, deployment.version);
    if (wrong) usage(wrong);
    const crds = deployment.crdsVersion === '2.8.1' ? restate281 : restate174;
    await installCrds(cp, crds as readonly CrdObject[]);
    // The release namespace, as Argo CD's CreateNamespace or the HelmRelease's createNamespace makes it.
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: deployment.namespace } };
    await cp.kubectl(['apply', '--server-side', '--field-manager=record-setup', '-f', '-'], { input: JSON.stringify(ns) });
    operator = startOperator(cp, bin, deployment.env, log);
    note(`operator ${tag} started (pid ${operator.child.pid}), env ${JSON.stringify(deployment.env)}`);
    await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], { input: JSON.stringify(cluster) });

    const deadline = Date.now() + timeoutMs;
    const readings: { at: number; text: string }[] = [];
    let objects: Obj[] = [];
    let fields: Record<string, Obj> = {};
    let settled = false;
    while (Date.now() < deadline) {
      if (operator.child.exitCode !== null || operator.child.signalCode !== null) {
        note(`the operator ended (${operator.child.signalCode ?? `exit status ${operator.child.exitCode}`}); its log:\n${tail(log)}`);
        break;
      }
      ({ objects, fields } = await operatorObjects(cp, cluster.metadata.name));
      const text = JSON.stringify([objects, fields]);
      const now = Date.now();
      readings.push({ at: now, text });
      const hasStatus = (objects.find((o) => o.kind === 'RestateCluster')?.status?.conditions ?? []).length > 0;
      const changedAt = [...readings].reverse().find((r) => r.text !== text)?.at ?? readings[0].at;
      if (hasStatus && objects.length > 1 && now - changedAt >= QUIET_MS) {
        settled = true;
        break;
      }
      await sleep(POLL_MS);
    }
    const recording = { operator: tag, recorded: RECORDED, target: `${environment}/${provider}`, objects, operatorFields: fields };
    const out = recordingPath(ROOT, tag, environment, provider);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, recordingText(recording));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ');
    note(`${settled ? 'settled' : 'NOT settled'}; wrote ${out} (${objects.length} objects: ${kinds}) in ${seconds} s`);
    if (!settled) {
      note(
        `the objects did not settle within ${timeoutMs / 1000} s (no change for ${QUIET_MS / 1000} s, a Ready condition); log tail:\n${tail(log)}`,
      );
      return 1;
    }
    const errors = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => /"level":"(ERROR|WARN)"|\b(ERROR|WARN)\b/.test(line));
    if (errors.length > 0) note(`the operator logged ${errors.length} warnings or errors; the last:\n${errors.slice(-5).join('\n')}`);
    return 0;
  } finally {
    await operator?.stop();
    await cp?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
