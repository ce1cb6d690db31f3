/**
 * What does not run under the GitOps tests, played through the real API server (./gitops-cluster.ts) by named
 * stand-ins, one pass per tick. Everything else is the real thing: kube-apiserver answers what is served, which
 * namespace exists and what it refuses; kube-controller-manager's Deployment, ReplicaSet, StatefulSet, Job,
 * namespace and garbage-collector controllers and the scheduler act on what the stand-ins write.
 *
 * The stand-ins, each from upstream source:
 * - Argo CD syncing the operator's child Applications (restatedev/restate-operator v1.7.4
 *   charts/restate-operator-helm/: crds/ and a Deployment with its ServiceAccount, name `restate-operator` from
 *   values.yaml's nameOverride, selector `app: restate-operator` from _helpers.tpl; v2.8.1
 *   charts/restate-operator-crds/crds/: three CRDs), `CreateNamespace=true` (gitops-engine sync_context.go:1160-1210 at
 *   argo-cd v3.5.1), health Healthy once the Deployment is, as gitops-engine/pkg/health/health_deployment.go rates it;
 * - Flux's helm-controller installing the operator's HelmRelease from its OCIRepository: the same chart objects,
 *   `install.createNamespace`, Ready once the Deployment is Current;
 * - restate-operator 1.7.4 (and 2.8.1's autoProvision): it runs once its Deployment is available; per RestateCluster
 *   it makes the cluster's namespace owned by the cluster, or reports NameConflict when the namespace exists and is
 *   not (src/controllers/restatecluster/controller.rs:150-185 at v1.7.4), the ServiceAccount `restate` and the
 *   StatefulSet `restate` with `podManagementPolicy: Parallel` (reconcilers/compute.rs:263-420), and the Ready
 *   condition as controller.rs:215-288 writes it; under 2.8.1 with `spec.cluster.autoProvision` it provisions once
 *   every pod runs (compute.rs:970-1008, provisioning.rs:113-173 at v2.8.1);
 * - the kubelet: pod status written through pods/status. The operator's pod runs once the restate.dev CRDs it
 *   watches are served (1.7.4 exits at start-up otherwise); a Restate pod runs once every Secret its env reads exists
 *   (else the kubelet holds it in CreateContainerConfigError) and is Ready once its cluster is provisioned (the
 *   readiness probe's /health answers then); the provisioning Job's pod succeeds once every pod of its cluster runs
 *   (it dials each one) and stays running otherwise, until the Job's activeDeadlineSeconds (the real Job controller);
 * - Restate itself: whether a cluster is provisioned, which lives in Restate's metadata, not in any API object.
 *
 * Gaps: the chart's other objects (RBAC, Service, ServiceMonitor) are not installed; the operator's StatefulSet has
 * no volume claim templates, and its other objects (Services, NetworkPolicies, PodDisruptionBudget, ConfigMap) are
 * not made; no pod runs a process, no container restarts, no image is pulled.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { crds as restate174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as restate281 } from '../../imports/crds/restate.dev-v2.8.1';
import type { CrdObject } from '../../lib/control-plane/install-crds';
import { type GitopsCluster, isEstablished, keyOf, type Manifest, namespace, RESTATE_CRDS, TOOL_KINDS } from './gitops-cluster';

export { keyOf, type Manifest } from './gitops-cluster';

/** Loads every object of a YAML file. */
export function loadManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null && typeof doc === 'object');
}

const STAND_IN = 'restate-stack-stand-in';
const OPERATOR = 'restate-operator';

const isoNow = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function condition(object: Manifest | undefined, type: string): Manifest | undefined {
  return (object?.status?.conditions ?? []).find((c: Manifest) => c.type === type);
}

/** The chart's operator objects at `version`: its ServiceAccount and Deployment (charts/restate-operator-helm/templates/). */
function operatorObjects(version: string, ns: string): Manifest[] {
  const labels = { app: OPERATOR };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: OPERATOR, namespace: ns } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: OPERATOR, namespace: ns, labels: { 'app.kubernetes.io/name': OPERATOR } },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: OPERATOR,
            containers: [{ name: OPERATOR, image: `ghcr.io/restatedev/restate-operator:${version}` }],
          },
        },
      },
    },
  ];
}

/** Argo CD's Deployment health (gitops-engine/pkg/health/health_deployment.go:29-73 at argo-cd v3.5.1). */
export function deploymentHealthy(d: Manifest | undefined): boolean {
  if (!d) return false;
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return false;
  const replicas = d.spec.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  return updated >= replicas && (s.replicas ?? 0) <= updated && (s.availableReplicas ?? 0) >= updated;
}

export class ClusterWorld {
  /** Ticks so far. */
  public now = 0;
  private readonly log: string[] = [];
  /** Objects of the last snapshot, by keyOf. */
  private live = new Map<string, Manifest>();
  /** Keys of objects the simulations created or the last snapshot held (to note a creation once). */
  private readonly known = new Set<string>();
  /** Restate clusters provisioned (by the Job, by hand, or by the operator's autoProvision). */
  private readonly provisioned = new Set<string>();

  constructor(readonly cluster: GitopsCluster) {}

  /** What happened, for a failing test's message. */
  history(): string {
    return this.log.join('\n');
  }

  note(line: string): void {
    this.log.push(`[t=${this.now}] ${line}`);
    // GITOPS_TRACE=1 prints each line as it happens (a slow or stuck simulation shows where it is).
    if (process.env.GITOPS_TRACE) process.stderr.write(`${new Date().toISOString()} [t=${this.now}] ${line}\n`);
  }

  /** The object as the last tick saw it (what a controller's cache holds). */
  seen(apiVersion: string, kind: string, name: string, ns?: string): Manifest | undefined {
    return this.live.get(keyOf({ apiVersion, kind, metadata: { name, namespace: ns } }));
  }

  /** The object as the server holds it now. */
  get(apiVersion: string, kind: string, name: string, ns?: string): Promise<Manifest | undefined> {
    return this.cluster.get(apiVersion, kind, name, ns);
  }

  /** Server-side apply by `by`; the server's refusal, or undefined. Noted in the history. */
  async apply(object: Manifest, by: string, manager = 'argocd-controller'): Promise<string | undefined> {
    const key = keyOf(object);
    const refused = await this.cluster.apply(object, manager);
    if (refused) {
      this.note(`${by}: apply ${key} refused: ${refused}`);
      return refused;
    }
    if (!this.known.has(key)) this.note(`${by}: created ${key}`);
    this.known.add(key);
    return undefined;
  }

  async delete(object: Manifest): Promise<void> {
    await this.cluster.delete(object);
    this.known.delete(keyOf(object));
  }

  /** Provisioning by hand (`mise run provision`): works once every pod of the cluster runs. */
  async provisionByHand(name: string): Promise<boolean> {
    await this.refresh();
    const rc = this.seen('restate.dev/v1', 'RestateCluster', name);
    if (!rc || !this.podsRunning(rc)) return false;
    this.provisioned.add(name);
    this.note(`by hand: provisioned ${name}`);
    return true;
  }

  private async refresh(): Promise<void> {
    // The restate.dev kinds are listed once the server serves them (the operator's chart installs their CRDs).
    const restate = this.served('restate.dev', 'RestateCluster') ? ['restateclusters.restate.dev'] : [];
    const custom = [...TOOL_KINDS[this.cluster.tool], 'podmonitors.monitoring.coreos.com', ...restate];
    // Once the operator's CRDs are Established they stay so (until the next test's reset): no need to ask again.
    const known = this.all('CustomResourceDefinition');
    const crdsSettled = this.served('restate.dev', 'RestateCluster') && this.served('restate.dev', 'RestateDeployment');
    let objects = await this.cluster.snapshot(custom, crdsSettled ? [] : RESTATE_CRDS);
    if (crdsSettled) objects = [...objects, ...known];
    const crdsNow = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    if (restate.length === 0 && crdsNow.some((c) => c.spec.names.kind === 'RestateCluster' && isEstablished(c)))
      objects = await this.cluster.snapshot([...custom, 'restateclusters.restate.dev'], RESTATE_CRDS);
    this.live = new Map(objects.map((o) => [keyOf(o), o]));
    for (const key of this.live.keys()) this.known.add(key);
  }

  private all(kind: string): Manifest[] {
    return [...this.live.values()].filter((o) => o.kind === kind);
  }

  private served(group: string, kind: string): boolean {
    return this.all('CustomResourceDefinition').some((c) => c.spec.group === group && c.spec.names.kind === kind && isEstablished(c));
  }

  private podsOf(ns: string, owner: string): Manifest[] {
    return this.all('Pod').filter(
      (p) => p.metadata.namespace === ns && p.metadata.ownerReferences?.some((o: Manifest) => o.name === owner),
    );
  }

  private podsRunning(rc: Manifest): boolean {
    const pods = this.podsOf(rc.metadata.name, 'restate');
    return pods.length === rc.spec.compute.replicas && pods.every((p) => p.status?.phase === 'Running');
  }

  /** One pass of every stand-in, on a fresh snapshot of the cluster. */
  async tick(): Promise<void> {
    this.now += 1;
    await this.refresh();
    for (const app of this.all('Application')) await this.argoChild(app);
    for (const release of this.all('HelmRelease')) await this.helmController(release);
    for (const rc of this.all('RestateCluster')) await this.operator(rc);
    // Each pod's kubelet acts on its own pod: at once.
    await Promise.all(this.all('Pod').map((pod) => this.kubelet(pod)));
  }

  /**
   * Installs the operator chart's objects (and its CRDs unless `skipCrds`) into `ns`, which the tool creates first when
   * told to (else the server refuses the objects while the namespace is missing).
   */
  private async installChart(version: string, ns: string, by: string, skipCrds: boolean, createNamespace: boolean): Promise<void> {
    if (createNamespace && !this.seen('v1', 'Namespace', ns)) await this.apply(namespace(ns), by, STAND_IN);
    if (!skipCrds) await this.installCrds(version === '2.8.1' ? restate281 : restate174, by);
    for (const object of operatorObjects(version, ns)) await this.apply(object, by, STAND_IN);
  }

  private async installCrds(crds: readonly CrdObject[], by: string): Promise<void> {
    await this.cluster.installCrds(crds);
    this.note(`${by}: installed ${crds.map((c) => c.metadata?.name).join(', ')} (Established)`);
  }

  /** Argo CD syncing a child Application: the operator chart (a Helm source) or 2.8.1's CRDs chart (a Git path). */
  private async argoChild(app: Manifest): Promise<void> {
    const by = `Application ${app.metadata.name}`;
    const source = app.spec?.source ?? {};
    let healthy: boolean;
    if (source.path === 'charts/restate-operator-crds') {
      if (!this.served('restate.dev', 'RestateCluster')) await this.installCrds(restate281, by);
      healthy = true; // installCrds returns once every CRD is Established (gitops-engine's ensureCRDReady)
    } else if (source.chart) {
      const ns = app.spec.destination.namespace;
      const deployment = this.seen('apps/v1', 'Deployment', OPERATOR, ns);
      const createNamespace = (app.spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true');
      if (!deployment) await this.installChart(String(source.targetRevision), ns, by, source.helm?.skipCrds === true, createNamespace);
      healthy = deploymentHealthy(deployment);
    } else return;
    const status = { sync: { status: 'Synced' }, health: { status: healthy ? 'Healthy' : 'Progressing' } };
    if (app.status?.health?.status !== status.health.status) {
      // The Application CRD has no status subresource: Argo CD writes status on the object.
      await this.cluster.writeStatus(app, status, false);
      this.note(`${by}: ${status.health.status}`);
    }
  }

  /** helm-controller: installs the chart from the OCIRepository, Ready once the Deployment is. */
  private async helmController(release: Manifest): Promise<void> {
    const ref = release.spec.chartRef;
    if (!ref) return;
    const source = this.seen('source.toolkit.fluxcd.io/v1', 'OCIRepository', ref.name, ref.namespace);
    if (!source) return;
    const ns = release.spec.targetNamespace;
    const by = `HelmRelease ${release.metadata.name}`;
    const deployment = this.seen('apps/v1', 'Deployment', OPERATOR, ns);
    if (!deployment) {
      const createNamespace = release.spec.install?.createNamespace === true;
      await this.installChart(String(source.spec.ref.tag), ns, by, release.spec.install?.crds === 'Skip', createNamespace);
    }
    const ready = deploymentHealthy(deployment) ? 'True' : 'False';
    if (condition(release, 'Ready')?.status === ready) return;
    const reason = ready === 'True' ? 'InstallSucceeded' : 'Progressing';
    await this.cluster.writeStatus(
      release,
      { conditions: [{ type: 'Ready', status: ready, reason, message: reason, lastTransitionTime: isoNow() }] },
      true,
    );
  }

  /** restate-operator's reconcile of a RestateCluster, while its Deployment is available. */
  private async operator(rc: Manifest): Promise<void> {
    const available = this.all('Deployment').some((d) => d.metadata.name === OPERATOR && (d.status?.availableReplicas ?? 0) >= 1);
    if (!available) return;
    const name = rc.metadata.name;
    const owner = { apiVersion: 'restate.dev/v1', kind: 'RestateCluster', name, uid: rc.metadata.uid, controller: true };
    const ready = async (status: string, reason: string, message: string) => {
      const now = condition(rc, 'Ready');
      if (now?.status === status && now.reason === reason && now.message === message) return;
      const conditions = [{ type: 'Ready', status, reason, message, lastTransitionTime: isoNow() }];
      await this.cluster.writeStatus(rc, { conditions }, true);
    };
    const ns = this.seen('v1', 'Namespace', name);
    if (ns && !(ns.metadata.ownerReferences ?? []).some((o: Manifest) => o.uid === rc.metadata.uid)) {
      await ready('Unknown', 'FailedReconcile', 'NameConflict');
      return;
    }
    if (!ns) {
      await this.cluster.apply({ ...namespace(name), metadata: { name, ownerReferences: [owner] } }, STAND_IN);
      this.note(`operator: created namespace ${name}`);
    }
    const replicas = rc.spec.compute.replicas;
    const sts = this.seen('apps/v1', 'StatefulSet', 'restate', name);
    if (!sts) {
      await this.cluster.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'restate', namespace: name } }, STAND_IN);
      await this.cluster.apply(restateStatefulSet(rc, owner), STAND_IN);
      await ready('False', 'StatefulSet has no status set; it may have just been created', 'StatefulSetNoStatus');
      return;
    }
    if (rc.spec.cluster?.autoProvision === true && this.podsRunning(rc) && !this.provisioned.has(name)) {
      this.provisioned.add(name);
      this.note(`operator: provisioned ${name} (autoProvision)`);
    }
    const readyPods = sts.status?.readyReplicas ?? 0;
    if (readyPods === replicas) await ready('True', 'Provisioned', 'Restate Cluster provisioned successfully');
    else
      await ready(
        'False',
        'StatefulSetPodNotReady',
        `StatefulSet has ${readyPods} ready replicas instead of the expected ${replicas}; a pod may not be ready`,
      );
  }

  /** The kubelet: the status each pod would have, written when it differs. */
  private async kubelet(pod: Manifest): Promise<void> {
    if (['Succeeded', 'Failed'].includes(pod.status?.phase) || pod.metadata.deletionTimestamp) return;
    const owner = pod.metadata.ownerReferences?.[0];
    if (!owner) return;
    const ns = pod.metadata.namespace;
    let phase = 'Pending';
    let ready = false;
    if (owner.kind === 'ReplicaSet' && pod.metadata.labels?.app === OPERATOR) {
      // Operator 1.7.4 exits at start-up while either CRD it watches is missing.
      ready = this.served('restate.dev', 'RestateCluster') && this.served('restate.dev', 'RestateDeployment');
      phase = ready ? 'Running' : 'Pending';
    } else if (owner.kind === 'StatefulSet' && owner.name === 'restate') {
      const secrets = (pod.spec.containers ?? []).flatMap((c: Manifest) =>
        (c.env ?? []).flatMap((e: Manifest) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
      );
      const running = secrets.every((secret: string) => this.seen('v1', 'Secret', secret, ns) !== undefined);
      phase = running ? 'Running' : 'Pending';
      ready = running && this.provisioned.has(ns);
    } else if (owner.kind === 'Job') {
      const job = this.seen('batch/v1', 'Job', owner.name, ns);
      const clusterName = job?.metadata.labels?.['app.kubernetes.io/instance'];
      const rc = clusterName ? this.seen('restate.dev/v1', 'RestateCluster', clusterName) : undefined;
      phase = 'Running';
      if (rc && this.podsRunning(rc)) {
        phase = 'Succeeded';
        this.provisioned.add(clusterName);
        this.note(`Job ${owner.name}: provisioned ${clusterName}`);
      }
    } else return;
    const wasReady = condition(pod, 'Ready')?.status === 'True';
    if (pod.status?.phase === phase && wasReady === ready) return;
    const now = isoNow();
    const flag = ready ? 'True' : 'False';
    const status: Manifest = {
      phase,
      conditions: [
        { type: 'Ready', status: flag, lastTransitionTime: now },
        { type: 'ContainersReady', status: flag, lastTransitionTime: now },
      ],
    };
    if (phase === 'Succeeded') {
      status.containerStatuses = pod.spec.containers.map((c: Manifest) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } },
      }));
    }
    await this.cluster.writeStatus(pod, status, true);
  }
}

/** The operator's StatefulSet for a RestateCluster, reduced to what the controllers here read (compute.rs:336-420 at v1.7.4). */
function restateStatefulSet(rc: Manifest, owner: Manifest): Manifest {
  const name = rc.metadata.name;
  const labels = { 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'restate', namespace: name, labels, ownerReferences: [owner] },
    spec: {
      replicas: rc.spec.compute.replicas,
      podManagementPolicy: 'Parallel',
      serviceName: 'restate-cluster',
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'restate',
          containers: [{ name: 'restate', image: rc.spec.compute.image, env: rc.spec.compute.env ?? [] }],
        },
      },
    },
  };
}
