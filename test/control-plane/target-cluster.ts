/**
 * A synthesized target on a real control plane: what its operator version, GitOps tool and monitoring put in the
 * cluster first (CRDs from imports/crds, the namespaces their installs create), and the ways a target folder is
 * applied: `deploy:promote`'s, Argo CD's and Flux's, each reduced to the API calls it makes.
 *
 * What each delivery does on the wire (the controllers themselves do not run here):
 * - promote (lib/deploy/plan.ts): server-side apply of each numbered file in order under field manager
 *   `restate-stack`; before a file that holds a Job, `kubectl delete job/<name> --ignore-not-found` (a Job's pod
 *   template is immutable).
 * - Argo CD (`ServerSideApply=true`): server-side apply under `argocd-controller` with conflicts forced
 *   (gitops-engine's `kubectl apply --server-side --force-conflicts`); a hook with `BeforeHookCreation` is deleted
 *   before it is created again.
 * - Flux (kustomize-controller, fluxcd/pkg ssa): each step's kustomize build applied server-side under
 *   `kustomize-controller` with ownership forced; with `force: true`, an object refused with "field is immutable"
 *   is deleted and applied again.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { crds as argoCrds } from '../../imports/crds/argoproj.io-v3.5.1';
import { crds as helmCrds } from '../../imports/crds/helm.toolkit.fluxcd.io-v1.6.3';
import { crds as kustomizeCrds } from '../../imports/crds/kustomize.toolkit.fluxcd.io-v1.9.4';
import { crds as monitoringCrds } from '../../imports/crds/monitoring.coreos.com-v0.93.0';
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import { crds as sourceCrds } from '../../imports/crds/source.toolkit.fluxcd.io-v1.9.1';
import { loadTargetValues } from '../../lib/values';
import { lostFields } from './fields';
import type { ControlPlane, RunResult } from '../../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../../lib/control-plane/install-crds';

// biome-ignore lint/suspicious/noExplicitAny: objects as kubectl returns them
export type Obj = any;

export const PROMOTE_MANAGER = 'restate-stack';
export const ARGOCD_MANAGER = 'argocd-controller';
export const FLUX_MANAGER = 'kustomize-controller';

export type Delivery = 'promote' | 'argocd' | 'flux';

export interface TargetFacts {
  readonly environment: string;
  readonly provider: string;
  readonly clusterName: string;
  readonly tool: 'argocd' | 'flux';
  /** The CRDs the target's operator installs (crdsVersion when set). */
  readonly crdsVersion: string;
  readonly operatorNamespace: string;
}

export function targetFacts(valuesDir: string, environment: string, provider: string): TargetFacts {
  const { values } = loadTargetValues(valuesDir, environment, provider);
  return {
    environment,
    provider,
    clusterName: values.clusterName,
    tool: values.operator.delivery === 'flux' ? 'flux' : 'argocd',
    crdsVersion: values.operator.crdsVersion ?? values.operator.version,
    operatorNamespace: values.operator.namespace,
  };
}

export function yamlObjects(file: string): Obj[] {
  return yamlText(readFileSync(file, 'utf8'));
}

export function yamlText(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJSON())
    .filter(Boolean);
}

/** The numbered manifests of a target folder in file order; the SOPS file is left out (it needs the private key). */
export function numberedFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^\d{4}-.*\.k8s\.yaml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

async function createNamespace(cp: ControlPlane, name: string): Promise<void> {
  const object = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  await cp.kubectl(['apply', '--server-side', '--field-manager=test-setup', '-f', '-'], { input: JSON.stringify(object) });
}

/**
 * What is in the cluster before the target's own files: the CRDs of the operator version it runs (and of the
 * other one, when `alsoCrds` says, for the upgrade), of its GitOps tool and of the Prometheus Operator; the
 * namespaces their installs make (`argocd` or `flux-system`, `monitoring`), the operator's (Argo CD's
 * `CreateNamespace=true`, the HelmRelease's `createNamespace`) and the cluster's (the operator creates it).
 */
export async function prepareCluster(cp: ControlPlane, facts: TargetFacts): Promise<void> {
  const restate = facts.crdsVersion === '2.8.1' ? restate281 : restate174;
  const tool = facts.tool === 'flux' ? [...sourceCrds, ...helmCrds, ...kustomizeCrds] : argoCrds;
  await installCrds(cp, [...restate, ...tool, ...monitoringCrds] as readonly CrdObject[]);
  const namespaces = [facts.tool === 'flux' ? 'flux-system' : 'argocd', 'monitoring', facts.operatorNamespace, facts.clusterName];
  for (const name of namespaces) await createNamespace(cp, name);
}

function objectRef(object: Obj): string[] {
  const group = object.apiVersion.includes('/') ? `.${object.apiVersion.split('/')[0]}` : '';
  return [`${object.kind}${group}`, object.metadata.name, ...(object.metadata.namespace ? ['-n', object.metadata.namespace] : [])];
}

export async function liveObject(cp: ControlPlane, object: Obj): Promise<Obj | undefined> {
  const result = await cp.kubectl(['get', ...objectRef(object), '-o', 'json'], { check: false });
  return result.code === 0 ? JSON.parse(result.stdout) : undefined;
}

/** Every written field the server does not hold as written, per object (`Kind/name: path (…)`). */
export async function lostFieldsOf(cp: ControlPlane, objects: readonly Obj[]): Promise<string[]> {
  const lost: string[] = [];
  for (const object of objects) {
    const live = await liveObject(cp, object);
    const name = `${object.kind}/${object.metadata.name}`;
    if (!live) lost.push(`${name}: not in the cluster`);
    else lost.push(...lostFields(object, live).map((field) => `${name}: ${field}`));
  }
  return lost;
}

function jobsIn(objects: readonly Obj[]): Obj[] {
  return objects.filter((object) => object.kind === 'Job');
}

async function deleteObject(cp: ControlPlane, object: Obj): Promise<void> {
  await cp.kubectl(['delete', ...objectRef(object), '--ignore-not-found', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
}

const ssa = (manager: string, force: boolean) => [
  'apply',
  '--server-side',
  `--field-manager=${manager}`,
  ...(force ? ['--force-conflicts'] : []),
];

/** The Flux step folders of a target, in the order of flux/kustomizations.yaml, with their `force`. */
function fluxSteps(dir: string): { path: string; force: boolean }[] {
  return yamlObjects(join(dir, 'flux', 'kustomizations.yaml')).map((k) => ({
    path: join(dir, 'flux', String(k.spec.path).split('/flux/')[1]),
    force: k.spec.force === true,
  }));
}

/** A Flux step as kustomize-controller builds it (it allows files outside the step's folder). */
async function fluxBuild(cp: ControlPlane, path: string): Promise<string> {
  return (await cp.kubectl(['kustomize', '--load-restrictor', 'LoadRestrictionsNone', path])).stdout;
}

/** The objects a delivery applies from a target folder (Flux: what its steps build, SOPS Secret left out). */
export async function deliveredObjects(cp: ControlPlane, dir: string, delivery: Delivery): Promise<Obj[]> {
  if (delivery !== 'flux') return numberedFiles(dir).flatMap(yamlObjects);
  const objects: Obj[] = [];
  for (const step of fluxSteps(dir)) {
    if (step.path.endsWith('/credentials')) continue;
    objects.push(...yamlText(await fluxBuild(cp, step.path)));
  }
  return objects;
}

/**
 * Applies a target folder the way a delivery does; rejects with kubectl's message when the server refuses.
 * Flux's credentials step (the SOPS Secret, which kustomize-controller decrypts with the private key) is skipped.
 */
export async function applyTarget(cp: ControlPlane, dir: string, delivery: Delivery): Promise<void> {
  if (delivery === 'promote') {
    for (const file of numberedFiles(dir)) {
      for (const job of jobsIn(yamlObjects(file))) await deleteObject(cp, job);
      await cp.kubectl([...ssa(PROMOTE_MANAGER, false), '-f', file]);
    }
    return;
  }
  if (delivery === 'argocd') {
    for (const file of numberedFiles(dir)) {
      for (const object of yamlObjects(file)) {
        const annotations = object.metadata.annotations ?? {};
        if (annotations['argocd.argoproj.io/hook'] && /BeforeHookCreation/.test(annotations['argocd.argoproj.io/hook-delete-policy'] ?? ''))
          await deleteObject(cp, object);
      }
      await cp.kubectl([...ssa(ARGOCD_MANAGER, true), '-f', file]);
    }
    return;
  }
  for (const step of fluxSteps(dir)) {
    if (step.path.endsWith('/credentials')) continue;
    const built = await fluxBuild(cp, step.path);
    const first = await cp.kubectl([...ssa(FLUX_MANAGER, true), '-f', '-'], { input: built, check: false });
    if (first.code === 0) continue;
    if (!step.force || !/field is immutable/.test(first.stderr)) throw new Error(`flux step ${step.path}: ${first.stderr}`);
    // force: true — recreate what the server refused as immutable (the Jobs of the step).
    for (const job of jobsIn(yamlText(built))) await deleteObject(cp, job);
    await cp.kubectl([...ssa(FLUX_MANAGER, true), '-f', '-'], { input: built });
  }
}

/**
 * A `kubectl diff` that a controller racing it cannot fail: with no kubelet the Job controller still writes the Job's
 * status, and a diff that reads the live object just before such a write shows the status and resourceVersion moving.
 * A difference the apply would make stays; so a non-empty diff is run again (up to 3 times, 1 s apart) and only the
 * last answer counts.
 */
async function settledDiff(diff: () => Promise<RunResult>): Promise<RunResult> {
  let result = await diff();
  for (let attempt = 1; attempt < 3 && (result.code !== 0 || result.stdout !== ''); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    result = await diff();
  }
  return result;
}

/** `kubectl diff --server-side` of what a delivery applies, per file or step: each result should be exit 0 and empty. */
export async function diffTarget(cp: ControlPlane, dir: string, delivery: Delivery): Promise<RunResult[]> {
  const manager = { promote: PROMOTE_MANAGER, argocd: ARGOCD_MANAGER, flux: FLUX_MANAGER }[delivery];
  const diff = ['diff', '--server-side', `--field-manager=${manager}`, ...(delivery === 'promote' ? [] : ['--force-conflicts'])];
  if (delivery !== 'flux') {
    return Promise.all(numberedFiles(dir).map((file) => settledDiff(() => cp.kubectl([...diff, '-f', file], { check: false }))));
  }
  const results: RunResult[] = [];
  for (const step of fluxSteps(dir)) {
    if (step.path.endsWith('/credentials')) continue;
    const input = await fluxBuild(cp, step.path);
    results.push(await settledDiff(() => cp.kubectl([...diff, '-f', '-'], { input, check: false })));
  }
  return results;
}

/** Deletes every object a target folder holds (test isolation between cases; no operator, so no finalizers). */
export async function removeTarget(cp: ControlPlane, dir: string): Promise<void> {
  const tool = ['argocd/application.yaml', 'argocd/appproject.yaml', 'flux/kustomizations.yaml']
    .map((file) => join(dir, file))
    .filter(fileExists);
  const files = [...numberedFiles(dir), ...tool].flatMap((file) => ['-f', file]);
  // kubectl's limit below the process's, so that a wait that does not end says what it waited for
  await cp.kubectl(['delete', ...files, '--ignore-not-found', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The objects of the target's Argo CD or Flux entry, as the docs apply it. */
export async function toolFolderObjects(cp: ControlPlane, dir: string, tool: 'argocd' | 'flux'): Promise<Obj[]> {
  if (tool === 'flux') return yamlText((await cp.kubectl(['kustomize', join(dir, 'flux')])).stdout);
  return ['application.yaml', 'appproject.yaml'].flatMap((name) => yamlObjects(join(dir, 'argocd', name)));
}

/** docs/gitops.md: `kubectl apply --server-side -f <target>/argocd/`, or `kubectl apply -k <target>/flux`. */
export async function applyToolFolder(cp: ControlPlane, dir: string, tool: 'argocd' | 'flux'): Promise<RunResult> {
  if (tool === 'flux') return cp.kubectl(['apply', '-k', join(dir, 'flux')]);
  return cp.kubectl(['apply', '--server-side', '-f', join(dir, 'argocd')]);
}

/** `kubectl diff` of the tool folder, with the same command shape as its apply. */
export async function diffToolFolder(cp: ControlPlane, dir: string, tool: 'argocd' | 'flux'): Promise<RunResult> {
  if (tool === 'flux') return settledDiff(() => cp.kubectl(['diff', '-k', join(dir, 'flux')], { check: false }));
  return settledDiff(() => cp.kubectl(['diff', '--server-side', '-f', join(dir, 'argocd')], { check: false }));
}
