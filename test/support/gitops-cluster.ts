/**
 * The GitOps simulations' way to the real API server (lib/control-plane/harness.ts): every apply, dry run, read,
 * delete and status write of test/support/argocd-sync.ts, flux-reconcile.ts and the stand-ins of gitops-world.ts goes
 * through the real kubectl built from Go modules, so the server answers what is served (CRDs Established or not),
 * which namespaces exist, what it refuses and with which words.
 *
 * `prepare` puts in what a fresh cluster with the GitOps tool installed has (the tool's CRDs from imports/crds, as its
 * install applies them; the Prometheus Operator's; the namespaces of those installs); `reset` removes what a test
 * added, so that the tests of a file share one control plane.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crds as argoCrds } from '../../imports/crds/argoproj.io-v3.5.1';
import { crds as helmCrds } from '../../imports/crds/helm.toolkit.fluxcd.io-v1.6.3';
import { crds as kustomizeCrds } from '../../imports/crds/kustomize.toolkit.fluxcd.io-v1.9.4';
import { crds as monitoringCrds } from '../../imports/crds/monitoring.coreos.com-v0.93.0';
import { crds as sourceCrds } from '../../imports/crds/source.toolkit.fluxcd.io-v1.9.1';
import { type ControlPlane, type RunResult, startControlPlane } from '../../lib/control-plane/harness';
import { type CrdObject, installCrds } from '../../lib/control-plane/install-crds';

// biome-ignore lint/suspicious/noExplicitAny: objects as kubectl returns them
export type Manifest = Record<string, any>;

export type Tool = 'argocd' | 'flux';

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** `group/Kind/namespace/name`, the key the simulations' messages use. */
export const keyOf = (o: Manifest) =>
  `${groupOf(String(o.apiVersion))}/${String(o.kind)}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** Namespaces of what a cluster has before the stack (the monitoring stack, an object store). */
const PRESENT_NAMESPACES = ['monitoring', 'observability', 'minio'];
const TOOL_NAMESPACE: Record<Tool, string> = { argocd: 'argocd', flux: 'flux-system' };

/** The tool's kinds that the simulations and the stand-ins read, as kubectl names them. */
export const TOOL_KINDS: Record<Tool, readonly string[]> = {
  argocd: ['applications.argoproj.io'],
  flux: ['helmreleases.helm.toolkit.fluxcd.io', 'ocirepositories.source.toolkit.fluxcd.io'],
};
/** The operator's CRDs (1.7.4 has the first two, 2.8.1 all three). */
export const RESTATE_CRDS = ['restateclusters.restate.dev', 'restatedeployments.restate.dev', 'restatecloudenvironments.restate.dev'];

/** The built-in kinds a snapshot lists, with the resource name kubectl takes (CRDs apart: see `snapshot`). */
const BUILT_IN = ['namespaces', 'deployments.apps', 'statefulsets.apps', 'jobs.batch', 'pods', 'secrets', 'configmaps', 'serviceaccounts'];

/** The first line of what kubectl said on stderr (its error), without trailing space. */
export function firstLine(stderr: string): string {
  return brief(stderr.trim().split('\n')[0] ?? '');
}

/** A refusal without the object the server quotes in it (an immutable pod template is some 4,000 characters). */
function brief(message: string): string {
  return message.replace(/: Invalid value: .*: field is immutable/, ': field is immutable');
}

export class GitopsCluster {
  /** kubectl's discovery cache of this cluster: control planes of other test files listen on the same address. */
  private readonly cacheDir: string;

  /** A control plane with the tool installed (`prepare`), for the tests of one file; `stop` ends it. */
  static async start(tool: Tool): Promise<GitopsCluster> {
    const cluster = new GitopsCluster(await startControlPlane(), tool);
    try {
      await cluster.prepare();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private constructor(
    private cp: ControlPlane,
    readonly tool: Tool,
  ) {
    this.cacheDir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'gitops-kube-cache-'));
  }

  async stop(): Promise<void> {
    await this.cp.stop();
    rmSync(this.cacheDir, { recursive: true, force: true });
  }

  kubectl(args: readonly string[], input?: string): Promise<RunResult> {
    return this.cp.kubectl([`--cache-dir=${this.cacheDir}`, ...args], { check: false, input, timeoutMs: 90_000 });
  }

  private async must(args: readonly string[], input?: string): Promise<string> {
    const run = await this.kubectl(args, input);
    if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit status ${run.code}\n${run.stderr}`);
    return run.stdout;
  }

  /** The tool's CRDs and the Prometheus Operator's that the stack uses (PodMonitor, PrometheusRule), Established; their installs' namespaces. */
  async prepare(): Promise<void> {
    const tool = this.tool === 'argocd' ? argoCrds : [...sourceCrds, ...helmCrds, ...kustomizeCrds];
    // Of the Prometheus Operator's CRDs, the two the stack's objects and the operator chart use.
    // Every kind of the Prometheus Operator the stack writes (PodMonitor, PrometheusRule): a cluster with metrics on has
    // the whole monitoring stack, and a kind left out here fails the sync's dry run on the real server.
    const monitoring = monitoringCrds;
    await installCrds(this.cp, [...tool, ...monitoring] as readonly CrdObject[]);
    for (const name of [TOOL_NAMESPACE[this.tool], ...PRESENT_NAMESPACES]) await this.createNamespace(name);
  }

  async createNamespace(name: string): Promise<void> {
    await this.must(['apply', '--server-side', '--field-manager=test-setup', '-f', '-'], JSON.stringify(namespace(name)));
  }

  /**
   * Back to what `prepare` left: the restate.dev CRDs (and with them every RestateCluster), the objects in the
   * tool's namespace, and every namespace a test made, each deleted and waited for.
   *
   * When a deletion does not finish in time, the control plane is replaced by a fresh one, prepared as at the start,
   * and what the stuck deletion showed is written to stderr. A deletion that the server does not finish is the
   * server's business, not what these tests prove: CI (2 cores, control planes of other files running beside this
   * one) once saw the three CRDs not deleted within 90 s, where they take under 2 s on a loaded workstation.
   */
  async reset(): Promise<void> {
    try {
      await this.deleteWhatTestsMade();
    } catch (error) {
      const seen = await this.stuckDeletion().catch((e: Error) => `(could not read: ${e.message})`);
      process.stderr.write(`gitops-cluster: reset did not finish, starting a fresh control plane\n${(error as Error).message}\n${seen}\n`);
      await this.cp.stop();
      this.cp = await startControlPlane();
      await this.prepare();
    }
    // A fresh cluster's client has not seen the deleted kinds: drop kubectl's discovery cache, or its next request for
    // a RestateCluster would go to a path the server no longer serves (404) instead of failing to map the kind.
    rmSync(this.cacheDir, { recursive: true, force: true });
  }

  private async deleteWhatTestsMade(): Promise<void> {
    const keep = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', TOOL_NAMESPACE[this.tool], ...PRESENT_NAMESPACES]);
    // kubectl's own limit below the process's (90 s), so that a stuck wait ends with kubectl's message
    const del = ['delete', '--ignore-not-found', '--wait=true', '--timeout=60s'];
    await this.must([...del, '--all', '-n', TOOL_NAMESPACE[this.tool], TOOL_KINDS[this.tool].join(',')]);
    await this.must([...del, ...RESTATE_CRDS.map((name) => `crd/${name}`)]);
    const namespaces: Manifest[] = JSON.parse(await this.must(['get', 'namespaces', '-o', 'json'])).items;
    const made = namespaces.map((n) => n.metadata.name as string).filter((name) => !keep.has(name));
    if (made.length > 0) await this.must([...del, ...made.map((name) => `namespace/${name}`)]);
  }

  /** What a deletion that did not finish left: each restate.dev CRD's and made namespace's deletion state and conditions. */
  private async stuckDeletion(): Promise<string> {
    const run = await this.kubectl(['get', 'crd,namespaces', '-o', 'json']);
    if (run.code !== 0) return `(kubectl get: ${firstLine(run.stderr)})`;
    const items: Manifest[] = JSON.parse(run.stdout).items;
    return items
      .filter((o) => o.metadata.deletionTimestamp)
      .map((o) => {
        const conditions = (o.status?.conditions ?? []).map((c: Manifest) => `${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`);
        return [
          `${o.kind} ${o.metadata.name}: deleting since ${o.metadata.deletionTimestamp}, finalizers ${JSON.stringify(o.metadata.finalizers ?? [])}`,
          ...conditions.map((c: string) => `  ${c}`),
        ].join('\n');
      })
      .join('\n');
  }

  /**
   * Every object of the built-in kinds the simulations read and of the `custom` ones (each must be served), cluster-wide,
   * in one request; and the CRDs named in `crds` that exist (by name: the tools' own CRDs are megabytes of schema).
   */
  async snapshot(custom: readonly string[], crds: readonly string[]): Promise<Manifest[]> {
    const objects = JSON.parse(await this.must(['get', [...BUILT_IN, ...custom].join(','), '--all-namespaces', '-o', 'json'])).items;
    if (crds.length === 0) return objects;
    const named = await this.must(['get', ...crds.map((name) => `crd/${name}`), '--ignore-not-found', '-o', 'json']);
    // kubectl prints nothing when none of them exists, a List when several do, the object when one does
    const found = named.trim() === '' ? [] : JSON.parse(named);
    return [...objects, ...(found.kind === 'List' ? found.items : found.kind ? [found] : [])];
  }

  /** One object as the server holds it now, or undefined. */
  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<Manifest | undefined> {
    const ref = resourceRef({ apiVersion, kind, metadata: { name, namespace } });
    const run = await this.kubectl(['get', ...ref, '-o', 'json']);
    return run.code === 0 ? JSON.parse(run.stdout) : undefined;
  }

  /** Server-side apply by `manager`, ownership forced; kubectl's error, or undefined when the server took it. */
  async apply(object: Manifest, manager: string): Promise<string | undefined> {
    const run = await this.kubectl(
      ['apply', '--server-side', `--field-manager=${manager}`, '--force-conflicts', '-f', '-'],
      JSON.stringify(object),
    );
    return run.code === 0 ? undefined : firstLine(run.stderr);
  }

  /**
   * A dry run of `object`: `client` (kubectl resolves its kind through discovery and reads the live object, as
   * Argo CD's dry run does) or `server` (a server-side apply with dryRun=All, as Flux's). kubectl's error, or undefined.
   */
  async dryRun(object: Manifest, mode: 'client' | 'server', manager: string): Promise<string | undefined> {
    const args =
      mode === 'client'
        ? ['apply', '--dry-run=client', '-f', '-']
        : ['apply', '--server-side', '--dry-run=server', `--field-manager=${manager}`, '--force-conflicts', '-f', '-'];
    const run = await this.kubectl(args, JSON.stringify(object));
    return run.code === 0 ? undefined : brief(run.stderr.trim().split('\n').join(' '));
  }

  /** Deletes an object and waits until it is gone. */
  async delete(object: Manifest): Promise<void> {
    await this.must(['delete', '--ignore-not-found', '--wait=true', '--timeout=90s', ...resourceRef(object)]);
  }

  /** Writes `status` of a live object: through its status subresource when the kind has one, else on the object. */
  async writeStatus(object: Manifest, status: Manifest, subresource: boolean): Promise<void> {
    await this.must([
      'patch',
      ...resourceRef(object),
      ...(subresource ? ['--subresource=status'] : []),
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ]);
  }

  /** Applies CRDs as a chart's crds/ folder is installed, and waits until the server serves each kind. */
  async installCrds(crds: readonly CrdObject[]): Promise<void> {
    await installCrds(this.cp, crds);
  }
}

export function namespace(name: string): Manifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function isEstablished(crd: Manifest): boolean {
  return (crd.status?.conditions ?? []).some((c: Manifest) => c.type === 'Established' && c.status === 'True');
}

/** kubectl's `<resource>.<group> <name> [-n <namespace>]` for an object. */
export function resourceRef(object: Manifest): string[] {
  const group = groupOf(String(object.apiVersion));
  const { name, namespace: ns } = object.metadata;
  return [`${String(object.kind).toLowerCase()}${group ? `.${group}` : ''}/${name}`, ...(ns ? ['-n', ns] : [])];
}
