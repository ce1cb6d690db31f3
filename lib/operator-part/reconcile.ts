/**
 * The operator's part on a real API server: reads every RestateCluster, writes the objects `operatorObjects` derives
 * for it through the API as field manager `restate-operator`, and writes its status as the operator does. One call is
 * one reconcile of every cluster (the operator reconciles on each watch event and every 5 minutes; a caller polls).
 *
 * Upstream: restatedev/restate-operator `src/controllers/restatecluster/controller.rs` (v1.7.4; `@2.8.1` at v2.8.1).
 * What it does not do: the cloud identity objects (objects.ts), the signing key and trusted CAs (refused,
 * stateful-set.ts), Events, and 2.8.1's gRPC provisioning call (a `provision` hook stands for it). It reads the
 * API server where the operator reads its caches: the claims and the StatefulSet are listed afresh on each pass.
 */
import type { OperatorVersion } from '../values';
import { type ClaimPhase, claimPatch, claimSelector, statefulSetDeleteOptions, storageUnchanged, unboundClaim } from './claims';
import type { Manifest, RestateClusterObject } from './manifest';
import { ownerReference } from './metadata';
import { deletedPolicyNames } from './network-policies';
import { operatorObjectsInApplyOrder } from './objects';
import {
  clusterStatus,
  NAME_CONFLICT,
  provisioningBlock,
  type ReadyCondition,
  type ReconcileOutcome,
  readyCondition,
  statefulSetOutcome,
} from './status';

/** The operator's field manager: every apply is `PatchParams::apply("restate-operator").force()` (e.g. compute.rs:610). */
export const OPERATOR_MANAGER = 'restate-operator';

/** The finalizer the operator keeps on every RestateCluster (resources/restateclusters.rs:17; controller.rs:119). */
export const CLUSTER_FINALIZER = 'clusters.restate.dev';

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl against the cluster (the shape of the test harness's `ControlPlane.kubectl`); never throws on exit status. */
export type Kubectl = (args: readonly string[], options: { readonly input?: string; readonly check: false }) => Promise<KubectlResult>;

export interface OperatorPartOptions {
  /** The operator version the target deploys (its operator file), per cluster. */
  readonly version: OperatorVersion | ((cluster: RestateClusterObject) => OperatorVersion);
  /**
   * 2.8.1's provisioning call (`run_provisioning`, provisioning.rs:113 @2.8.1: ProvisionCluster over gRPC to restate-0).
   * A rejection is the call's failure (`Error::ProvisioningFailed`, its error's message the inner text, e.g.
   * `Failed to connect to http://…:5122: transport error`): not Ready, `ProvisioningFailed`.
   * @default - none: a cluster that reaches the call fails the pass with an error saying so
   */
  readonly provision?: (cluster: RestateClusterObject) => Promise<void>;
  /** @default the wall clock, as the operator's `Utc::now()` */
  readonly now?: () => string;
}

/** What one reconcile of one cluster did. */
export interface ClusterReconcile {
  readonly name: string;
  readonly version: OperatorVersion;
  /** The objects applied, in order; empty when the reconcile stopped before them, no StatefulSet when a claim is not Bound. */
  readonly applied: readonly Manifest[];
  readonly condition: ReadyCondition;
}

const json = (text: string): Manifest => JSON.parse(text) as Manifest;

function failure(what: string, run: KubectlResult): Error {
  return new Error(`operator part: ${what}: kubectl exit ${run.code}: ${run.stderr.trim() || run.stdout.trim()}`);
}

/**
 * One pass over every RestateCluster. Resolves with what each reconcile did; rejects when the API server refuses
 * something the operator would have been allowed to do (the pass is then incomplete, as the operator's would be).
 */
export async function reconcileClusters(kubectl: Kubectl, options: OperatorPartOptions): Promise<ClusterReconcile[]> {
  const listed = await kubectl(['get', 'restateclusters.restate.dev', '-o', 'json'], { check: false });
  // The operator exits when RestateCluster is not queryable (controller.rs:367-370): nothing to reconcile yet.
  if (listed.code !== 0) return [];
  const done: ClusterReconcile[] = [];
  for (const cluster of json(listed.stdout).items as RestateClusterObject[]) {
    const result = await reconcileCluster(kubectl, cluster, options);
    if (result) done.push(result);
  }
  return done;
}

/** The finalizer step of kube-runtime's `finalizer()` around each reconcile (controller.rs:119-125). */
async function finalizerStep(kubectl: Kubectl, cluster: RestateClusterObject): Promise<'deleted' | 'continue'> {
  const finalizers = cluster.metadata.finalizers ?? [];
  const name = cluster.metadata.name;
  if (cluster.metadata.deletionTimestamp) {
    // Cleanup (controller.rs:293-309) does nothing but an Event; then the finalizer comes off and the server deletes.
    const index = finalizers.indexOf(CLUSTER_FINALIZER);
    if (index >= 0) {
      const patch = [
        { op: 'test', path: `/metadata/finalizers/${index}`, value: CLUSTER_FINALIZER },
        { op: 'remove', path: `/metadata/finalizers/${index}` },
      ];
      const run = await kubectl(['patch', 'restatecluster', name, '--type=json', '-p', JSON.stringify(patch)], { check: false });
      if (run.code !== 0 && !/NotFound/.test(run.stderr)) throw failure(`removing finalizer from RestateCluster ${name}`, run);
    }
    return 'deleted';
  }
  if (!finalizers.includes(CLUSTER_FINALIZER)) {
    const patch =
      finalizers.length === 0
        ? [
            { op: 'test', path: '/metadata/finalizers', value: null },
            { op: 'add', path: '/metadata/finalizers', value: [CLUSTER_FINALIZER] },
          ]
        : [
            { op: 'test', path: '/metadata/finalizers', value: finalizers },
            { op: 'add', path: '/metadata/finalizers/-', value: CLUSTER_FINALIZER },
          ];
    const run = await kubectl(['patch', 'restatecluster', name, '--type=json', '-p', JSON.stringify(patch)], { check: false });
    if (run.code !== 0) throw failure(`adding finalizer to RestateCluster ${name}`, run);
  }
  return 'continue';
}

/** The namespace check (controller.rs:171-181; :182-214 @2.8.1): whether the cluster owns its namespace, if there is one. */
async function namespaceOwnership(kubectl: Kubectl, cluster: RestateClusterObject): Promise<'absent' | 'owned' | 'foreign'> {
  const run = await kubectl(['get', 'namespace', cluster.metadata.name, '-o', 'json'], { check: false });
  if (run.code !== 0) {
    if (/NotFound/.test(run.stderr)) return 'absent';
    throw failure(`reading namespace ${cluster.metadata.name}`, run);
  }
  // `orefs.contains(&oref)`: an owner reference equal in every field, blockOwnerDeletion included.
  const want = JSON.stringify(ownerReference(cluster));
  const refs: Manifest[] = json(run.stdout).metadata.ownerReferences ?? [];
  const same = (ref: Manifest) =>
    JSON.stringify({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, controller: ref.controller }) === want &&
    ref.blockOwnerDeletion === undefined;
  return refs.some(same) ? 'owned' : 'foreign';
}

async function applyObjects(kubectl: Kubectl, objects: readonly Manifest[]): Promise<{ applied: Manifest[]; error?: string }> {
  // One kubectl for the list: it applies the items in order, each its own server-side apply (a PATCH), as the
  // operator's one patch per object; the namespace exists before the objects in it.
  const run = await kubectl(
    ['apply', '--server-side', `--field-manager=${OPERATOR_MANAGER}`, '--force-conflicts', '-o', 'json', '-f', '-'],
    { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }), check: false },
  );
  if (run.code !== 0) return { applied: [], error: run.stderr.trim() };
  const out = json(run.stdout);
  return { applied: out.kind === 'List' ? out.items : [out] };
}

/** Deletes the NetworkPolicies the reconcile removes (network-policies.ts `deletedPolicyNames`); the error text if refused. */
async function deletePolicies(kubectl: Kubectl, cluster: RestateClusterObject, version: OperatorVersion): Promise<string | undefined> {
  const names = deletedPolicyNames(cluster.spec.security, version);
  if (names.length === 0) return undefined;
  const ns = cluster.metadata.name;
  const run = await kubectl(['-n', ns, 'delete', 'networkpolicy', ...names, '--ignore-not-found', '--wait=false'], { check: false });
  return run.code === 0 ? undefined : run.stderr.trim();
}

/**
 * The claims step before the StatefulSet's apply (claims.ts): the claims of the cluster applied with the cluster's
 * size, and the first not Bound (by name) stopping the reconcile; once all are Bound, the StatefulSet of another size
 * deleted, orphaning its pods. The outcome that stops the reconcile, or undefined to go on to the StatefulSet.
 *
 * Two kubectl calls where the operator reads its caches and makes one patch per claim: one list of the claims and
 * the StatefulSets carrying the cluster's mandatory labels (the StatefulSet has them too, metadata.ts), and one apply
 * of every claim. The operator stops patching at the first claim not Bound in its cache's order, which varies by run;
 * applying them all is that order with the unbound claims last (the same size, so the same claims either way).
 */
async function claimsStep(
  kubectl: Kubectl,
  cluster: RestateClusterObject,
  version: OperatorVersion,
): Promise<ReconcileOutcome | undefined> {
  const ns = cluster.metadata.name;
  const selector = claimSelector(cluster);
  const listed = await kubectl(['get', 'persistentvolumeclaims,statefulsets', '--all-namespaces', '-l', selector, '-o', 'json'], {
    check: false,
  });
  if (listed.code !== 0) return { kind: 'error', message: listed.stderr.trim() };
  const items = json(listed.stdout).items as Manifest[];
  const names = items
    .filter((o) => o.kind === 'PersistentVolumeClaim')
    .map((c) => c.metadata.name as string)
    .sort();
  if (names.length > 0) {
    // each claim is applied in the cluster's namespace, whichever namespace the cache held it in (compute.rs:910)
    const run = await kubectl(
      ['-n', ns, 'apply', '--server-side', `--field-manager=${OPERATOR_MANAGER}`, '--force-conflicts', '-o', 'json', '-f', '-'],
      {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: names.map((name) => claimPatch(cluster, version, name)) }),
        check: false,
      },
    );
    if (run.code !== 0) return { kind: 'error', message: run.stderr.trim() };
    const out = json(run.stdout);
    const back: Manifest[] = out.kind === 'List' ? out.items : [out];
    const stop = unboundClaim(back.map((c): ClaimPhase => ({ name: c.metadata.name, phase: c.status?.phase })));
    if (stop) return stop;
  }
  const existing = items.find((o) => o.kind === 'StatefulSet' && o.metadata.namespace === ns && o.metadata.name === 'restate');
  if (!existing || storageUnchanged(existing, cluster, version)) return undefined;
  const run = await kubectl(['delete', '--raw', `/apis/apps/v1/namespaces/${ns}/statefulsets/restate`, '-f', '-'], {
    input: JSON.stringify(statefulSetDeleteOptions(existing, version)),
    check: false,
  });
  return run.code === 0 ? undefined : { kind: 'error', message: run.stderr.trim() };
}

async function podPhase(kubectl: Kubectl, namespace: string, pod: string): Promise<string | undefined> {
  const run = await kubectl(['-n', namespace, 'get', 'pod', pod, '-o', 'json'], { check: false });
  return run.code === 0 ? json(run.stdout).status?.phase : undefined;
}

/** One reconcile of one RestateCluster (`reconcile_status`, controller.rs:210-291); undefined when it was being deleted. */
export async function reconcileCluster(
  kubectl: Kubectl,
  cluster: RestateClusterObject,
  options: OperatorPartOptions,
): Promise<ClusterReconcile | undefined> {
  if ((await finalizerStep(kubectl, cluster)) === 'deleted') return undefined;
  const version = typeof options.version === 'function' ? options.version(cluster) : options.version;
  const name = cluster.metadata.name;
  let outcome: ReconcileOutcome;
  let applied: Manifest[] = [];
  let provisioned = false;
  const ownership = await namespaceOwnership(kubectl, cluster);
  if (ownership === 'foreign' && version === '1.7.4') {
    // controller.rs:171-181: a namespace of that name the cluster does not own stops the reconcile before any object.
    outcome = { kind: 'error', message: NAME_CONFLICT };
  } else {
    // @2.8.1 (:191-203): a namespace it does not own is used as it is, not written.
    const objects = operatorObjectsInApplyOrder(cluster, version).filter((o) => ownership !== 'foreign' || o.kind !== 'Namespace');
    // everything before the StatefulSet, then the claims step, then the StatefulSet (compute.rs:585-603; :948-968 @2.8.1)
    const before = await applyObjects(
      kubectl,
      objects.filter((o) => o.kind !== 'StatefulSet'),
    );
    applied = before.applied;
    const deleted = before.error === undefined ? await deletePolicies(kubectl, cluster, version) : undefined;
    const claims = before.error === undefined && deleted === undefined ? await claimsStep(kubectl, cluster, version) : undefined;
    const after =
      before.error === undefined && deleted === undefined && !claims
        ? await applyObjects(
            kubectl,
            objects.filter((o) => o.kind === 'StatefulSet'),
          )
        : undefined;
    applied = [...applied, ...(after?.applied ?? [])];
    const sts = applied.find((o) => o.kind === 'StatefulSet');
    if (claims) {
      outcome = claims;
    } else if (before.error !== undefined || deleted !== undefined || after?.error !== undefined || !sts) {
      outcome = { kind: 'error', message: before.error ?? deleted ?? after?.error ?? 'the StatefulSet apply returned nothing' };
    } else {
      outcome = statefulSetOutcome(sts.status, cluster.spec.compute?.replicas ?? 1);
      const provisioning = version === '2.8.1' && cluster.spec.cluster?.autoProvision === true && cluster.status?.provisioned !== true;
      if (provisioning) {
        // compute.rs:970-1008 @2.8.1: before the status check, and instead of it until provisioned.
        const block = provisioningBlock(cluster, await podPhase(kubectl, name, 'restate-0'));
        if (block) outcome = block;
        else {
          if (!options.provision)
            throw new Error(
              `operator part: RestateCluster ${name}: restate-0 runs and would be provisioned over gRPC; no provision hook given`,
            );
          try {
            await options.provision(cluster);
            provisioned = true;
            outcome = { kind: 'not-ready', reason: 'Provisioned', message: 'Cluster provisioned, continuing reconciliation' };
          } catch (error) {
            // controller.rs:299-310 @2.8.1: False, `ProvisioningFailed`, "Provisioning failed: <message>"
            const message = error instanceof Error ? error.message : String(error);
            outcome = { kind: 'not-ready', reason: 'ProvisioningFailed', message: `Provisioning failed: ${message}` };
          }
        }
      }
    }
  }
  const condition = readyCondition(outcome, version);
  const now = options.now?.() ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = clusterStatus(cluster, condition, version, now);
  // controller.rs:346-351 @2.8.1: `provisioned: true` once the call succeeded (Error::Provisioned).
  if (provisioned) status.provisioned = true;
  const run = await kubectl(
    ['apply', '--server-side', `--field-manager=${OPERATOR_MANAGER}`, '--force-conflicts', '--subresource=status', '-f', '-'],
    { input: JSON.stringify({ apiVersion: cluster.apiVersion, kind: cluster.kind, metadata: { name }, status }), check: false },
  );
  if (run.code !== 0) throw failure(`writing the status of RestateCluster ${name}`, run);
  return { name, version, applied, condition };
}
