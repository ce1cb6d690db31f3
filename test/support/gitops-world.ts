/**
 * A model of a fresh Kubernetes cluster with the controllers the GitOps tests need, stepped one tick at a
 * time: the API server's refusals (a kind whose CRD is not Established, a namespace that does not exist), Argo CD
 * syncing the operator's child Application, Flux's helm-controller installing the HelmRelease, operator 1.7.4
 * (it creates the cluster's namespace, a NameConflict when that namespace exists and it does not own it, the
 * StatefulSet and the Ready condition as controller.rs:215-288 writes it), the pods (they start once every
 * Secret their env reads exists, and turn Ready only once the cluster is provisioned, as under 1.7.4), and
 * the provisioning Job (it completes once every pod runs). Not a real cluster: it encodes these facts only.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export type Manifest = Record<string, any>;

/** Loads every object of a YAML file. */
export function loadManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null && typeof doc === 'object');
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
export const keyOf = (o: Manifest) =>
  `${groupOf(String(o.apiVersion))}/${String(o.kind)}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** Kinds served without a CRD of ours: built-in ones and those of the tools installed beforehand. */
const PREINSTALLED_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'rbac.authorization.k8s.io',
  'apiextensions.k8s.io',
  'monitoring.coreos.com',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'RestateCluster']);

export interface WorldOptions {
  /** Argo CD or Flux is installed (their CRDs served). */
  readonly tools: ReadonlyArray<'argocd' | 'flux'>;
  /** Namespaces that exist at the start besides the system ones. */
  readonly namespaces?: readonly string[];
}

export class ClusterWorld {
  public now = 0;
  private readonly live = new Map<string, Manifest>();
  private readonly namespaces = new Set(['default', 'kube-system', 'monitoring', 'observability', 'minio']);
  private readonly servedGroups = new Set(PREINSTALLED_GROUPS);
  private readonly establishedAt = new Map<string, number>();
  /** Restate cluster names the operator provisioned (by the Job or by hand). */
  private readonly provisioned = new Set<string>();
  /** Namespaces the operator created (owned by a RestateCluster). */
  private readonly ownedNamespaces = new Set<string>();
  private readonly log: string[] = [];

  constructor(options: WorldOptions) {
    if (options.tools.includes('argocd')) {
      this.servedGroups.add('argoproj.io');
      this.namespaces.add('argocd');
    }
    if (options.tools.includes('flux')) {
      for (const g of ['source.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io']) this.servedGroups.add(g);
      this.namespaces.add('flux-system');
    }
    for (const ns of options.namespaces ?? []) this.namespaces.add(ns);
  }

  /** What happened, for a failing test's message. */
  history(): string {
    return this.log.join('\n');
  }

  note(line: string): void {
    this.log.push(`[t=${this.now}] ${line}`);
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): Manifest | undefined {
    return this.live.get(keyOf({ apiVersion, kind, metadata: { name, namespace } }));
  }

  /** Whether the API server serves `kind` of `apiVersion` (built-in, a tool's, or a CRD that is Established). */
  serves(apiVersion: string, kind: string): boolean {
    const group = groupOf(apiVersion);
    if (this.servedGroups.has(group)) return true;
    const at = this.establishedAt.get(`${group}/${kind}`);
    return at !== undefined && at <= this.now;
  }

  namespaceExists(name: string): boolean {
    return this.namespaces.has(name);
  }

  /** The refusal of the API server for this object, or undefined. */
  refusal(object: Manifest): string | undefined {
    if (!this.serves(object.apiVersion, object.kind)) return `no matches for kind "${object.kind}" in version "${object.apiVersion}"`;
    const ns = object.metadata?.namespace;
    if (!CLUSTER_SCOPED.has(object.kind) && ns !== undefined && !this.namespaces.has(ns)) return `namespaces "${ns}" not found`;
    return undefined;
  }

  /** Server-side apply: the refusal, or undefined when stored. */
  apply(object: Manifest, by: string): string | undefined {
    const refused = this.refusal(object);
    if (refused) {
      this.note(`${by}: apply ${keyOf(object)} refused: ${refused}`);
      return refused;
    }
    const key = keyOf(object);
    const existing = this.live.get(key);
    this.live.set(key, { ...structuredClone(object), status: existing?.status });
    if (!existing) this.note(`${by}: created ${key}`);
    if (object.kind === 'Namespace') this.namespaces.add(object.metadata.name);
    if (object.kind === 'CustomResourceDefinition') this.establish(object);
    return undefined;
  }

  delete(object: Manifest): void {
    this.live.delete(keyOf(object));
  }

  /** Provisioning by hand (`mise run provision`): works once every pod of the cluster runs. */
  provisionByHand(cluster: string): boolean {
    const rc = this.get('restate.dev/v1', 'RestateCluster', cluster);
    if (!rc || !this.podsRunning(rc)) return false;
    this.provisioned.add(cluster);
    this.note(`by hand: provisioned ${cluster}`);
    return true;
  }

  private establish(crd: Manifest): void {
    const key = `${crd.spec.group}/${crd.spec.names.kind}`;
    if (!this.establishedAt.has(key)) this.establishedAt.set(key, this.now + 1);
  }

  /**
   * The operator's CRDs: chart 1.7.4's crds/ folder (two), or operator 2.8.1's separate CRDs chart (three,
   * charts/restate-operator-crds/crds/ at v2.8.1).
   */
  private installCrds(by: string, withCloudEnvironments: boolean): void {
    const crds = [
      ['restateclusters', 'RestateCluster'],
      ['restatedeployments', 'RestateDeployment'],
    ];
    if (withCloudEnvironments) crds.push(['restatecloudenvironments', 'RestateCloudEnvironment']);
    for (const [plural, kind] of crds) {
      this.apply(
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: `${plural}.restate.dev` },
          spec: { group: 'restate.dev', names: { kind } },
        },
        by,
      );
    }
  }

  /**
   * The operator chart's objects, installed by a Helm release (Argo CD's child Application or Flux's
   * HelmRelease): with its CRDs (chart 1.7.4), or without them when they come from their own chart (`skipCrds`).
   */
  private installOperatorChart(namespace: string, by: string, skipCrds = false): void {
    this.namespaces.add(namespace);
    if (!skipCrds) this.installCrds(by, false);
    this.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'restate-operator', namespace }, spec: { replicas: 1 } }, by);
  }

  private operatorAvailable(): boolean {
    for (const object of this.live.values()) {
      if (object.kind === 'Deployment' && object.metadata.name === 'restate-operator' && object.status?.availableReplicas === 1)
        return true;
    }
    return false;
  }

  private podsRunning(rc: Manifest): boolean {
    const sts = this.get('apps/v1', 'StatefulSet', 'restate', rc.metadata.name);
    return sts !== undefined && sts.status?.runningReplicas === rc.spec.compute.replicas;
  }

  /** One step of every controller. */
  tick(): void {
    this.now += 1;
    for (const object of [...this.live.values()]) {
      switch (object.kind) {
        case 'Application':
          this.argoChild(object);
          break;
        case 'HelmRelease':
          this.helmController(object);
          break;
        case 'Deployment':
          // The 1.7.4 operator exits at start-up while either of its CRDs is missing.
          if (this.serves('restate.dev/v1', 'RestateCluster') && this.serves('restate.dev/v1', 'RestateDeployment')) {
            object.status = { availableReplicas: 1 };
          }
          break;
        case 'RestateCluster':
          if (this.operatorAvailable()) this.operator(object);
          break;
        case 'Job':
          this.provisioningJob(object);
          break;
        default:
          break;
      }
    }
  }

  /**
   * Argo CD syncing a child Application: the operator chart (a Helm source), health from its Deployment; or
   * operator 2.8.1's CRDs chart (a Git path), healthy once its CRDs are Established.
   */
  private argoChild(app: Manifest): void {
    if (app.spec?.source?.path === 'charts/restate-operator-crds') {
      if (!this.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'restateclusters.restate.dev'))
        this.installCrds(`Application ${app.metadata.name}`, true);
      const established = this.serves('restate.dev/v1', 'RestateCluster') && this.serves('restate.dev/v1', 'RestateDeployment');
      app.status = { sync: { status: 'Synced' }, health: { status: established ? 'Healthy' : 'Progressing' } };
      return;
    }
    if (!app.spec?.source?.chart) return;
    const namespace = app.spec.destination.namespace;
    if (!this.get('apps/v1', 'Deployment', 'restate-operator', namespace)) {
      this.installOperatorChart(namespace, `Application ${app.metadata.name}`, app.spec.source.helm?.skipCrds === true);
    }
    const available = this.get('apps/v1', 'Deployment', 'restate-operator', namespace)?.status?.availableReplicas === 1;
    app.status = { sync: { status: 'Synced' }, health: { status: available ? 'Healthy' : 'Progressing' } };
  }

  private helmController(release: Manifest): void {
    // Operator 2.8.1's CRDs chart from a GitRepository is not modelled under Flux (no shipped Flux target uses 2.8.1).
    if (!release.spec.chartRef) return;
    const namespace = release.spec.targetNamespace;
    if (!this.get('source.toolkit.fluxcd.io/v1', 'OCIRepository', release.spec.chartRef.name, release.spec.chartRef.namespace)) return;
    if (!this.get('apps/v1', 'Deployment', 'restate-operator', namespace))
      this.installOperatorChart(namespace, `HelmRelease ${release.metadata.name}`);
    const available = this.get('apps/v1', 'Deployment', 'restate-operator', namespace)?.status?.availableReplicas === 1;
    release.status = { conditions: [{ type: 'Ready', status: available ? 'True' : 'False' }] };
  }

  /** Operator 1.7.4's reconcile of a RestateCluster, and the pods of its StatefulSet. */
  private operator(rc: Manifest): void {
    const name = rc.metadata.name;
    const ready = (status: string, reason: string, message: string) => {
      rc.status = { conditions: [{ type: 'Ready', status, reason, message, lastTransitionTime: `t${this.now}` }] };
    };
    if (this.namespaces.has(name) && !this.ownedNamespaces.has(name)) {
      ready('Unknown', 'FailedReconcile', 'NameConflict');
      return;
    }
    if (!this.namespaces.has(name)) {
      this.namespaces.add(name);
      this.ownedNamespaces.add(name);
      this.note(`operator: created namespace ${name}`);
    }
    const replicas = rc.spec.compute.replicas;
    let sts = this.get('apps/v1', 'StatefulSet', 'restate', name);
    if (!sts) {
      sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'restate', namespace: name }, spec: { replicas } };
      this.live.set(keyOf(sts), sts);
      ready('False', 'StatefulSet has no status set; it may have just been created', 'StatefulSetNoStatus');
      return;
    }
    const secrets = (rc.spec.compute.env ?? []).flatMap((e: any) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
    const canStart = secrets.every((secret: string) => this.get('v1', 'Secret', secret, name) !== undefined);
    const running = canStart ? replicas : 0;
    // Operator 2.8.1 with spec.cluster.autoProvision provisions the cluster itself once restate-0 runs
    // (compute.rs:970-1008, provisioning.rs:113-173 at v2.8.1).
    if (rc.spec.cluster?.autoProvision === true && running === replicas && !this.provisioned.has(name)) {
      this.provisioned.add(name);
      this.note(`operator: provisioned ${name} (autoProvision)`);
    }
    // Pods turn Ready only after provisioning (the readiness probe /health answers once provisioned).
    const readyPods = running === replicas && this.provisioned.has(name) ? replicas : 0;
    sts.status = { replicas, runningReplicas: running, readyReplicas: readyPods };
    if (readyPods === replicas) ready('True', 'Provisioned', 'Restate Cluster provisioned successfully');
    else
      ready(
        'False',
        'StatefulSetPodNotReady',
        `StatefulSet has ${readyPods} ready replicas instead of the expected ${replicas}; a pod may not be ready`,
      );
  }

  /**
   * The provisioning Job: provisions once every pod runs (it dials each one), then completes; fails once its
   * deadline (modelled as 60 ticks) passed without the pods.
   */
  private provisioningJob(job: Manifest): void {
    if (job.status?.succeeded === 1 || job.status?.failed) return;
    job.startedAt ??= this.now;
    const cluster = job.metadata.labels?.['app.kubernetes.io/instance'];
    const rc = cluster ? this.get('restate.dev/v1', 'RestateCluster', cluster) : undefined;
    if (rc && this.podsRunning(rc)) {
      this.provisioned.add(cluster);
      job.status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
      this.note(`Job ${job.metadata.name}: provisioned ${cluster}`);
    } else if (this.now - job.startedAt > 60) {
      job.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] };
      this.note(`Job ${job.metadata.name}: failed (deadline)`);
    } else {
      job.status = { active: 1 };
    }
  }
}
