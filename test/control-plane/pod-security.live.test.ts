/**
 * Which Pod Security Standards level each pod the stack creates or installs meets, proven by the real PodSecurity
 * admission plugin of the pinned kube-apiserver (built in, enabled by default, no admission configuration: a
 * namespace is held to a level only by its `pod-security.kubernetes.io/enforce` label). Each pod is created with a
 * server-side dry run in a namespace enforcing the level it meets (admitted) and in one enforcing the next stricter
 * level (refused, and the server's message names exactly the fields that fall short).
 *
 * The pods come from the targets as synthesized from the tests' values (fixtureDist): our provisioning and drain
 * Jobs as written; the operator's Deployment pod and the Restate cluster pods built from what we ship by the
 * stand-ins of test/support/upstream-pods.ts (derived from the chart and compute.rs at each tag; no helm, operator
 * or kubelet runs here). Then the labels synth writes for the operator's namespace are applied and the real Job,
 * ReplicaSet and Deployment controllers create the pods there; and the user's recipe for the cluster's namespace
 * (label it with kubectl; the operator's server-side apply leaves the label alone) is run against the server.
 */
import { join } from 'node:path';
import { operatorPodHasSeccomp } from '../../lib/values';
import { fixtureDist } from '../support/fixture-dist';
import { canaryPod, clusterPod, type OperatorChartVersion, operatorChartPod, podOfTemplate } from '../support/upstream-pods';
import { type ControlPlane, startControlPlane } from '../../lib/control-plane/harness';
import { ChangeWorkspace } from './target-changes';
import { numberedFiles, type Obj, yamlObjects } from './target-cluster';

type Level = 'baseline' | 'restricted';
const ENFORCE = 'pod-security.kubernetes.io/enforce';
/** The namespace of each level's dry runs. */
const NS: Record<Level, string> = { baseline: 'enforce-baseline', restricted: 'enforce-restricted' };

/** The fields PodSecurity names in a refusal, e.g. ["runAsNonRoot != true", "seccompProfile"] (sorted). */
function violations(stderr: string, level: Level): string[] {
  const marker = `violates PodSecurity "${level}:latest": `;
  const at = stderr.indexOf(marker);
  if (at < 0) return [];
  const text = stderr.slice(at + marker.length).split('\n')[0];
  return text
    .split(/\), (?=[a-zA-Z])/)
    .map((part) => part.slice(0, part.indexOf(' (')))
    .sort();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the PodSecurity level of every pod the stack creates or installs, on a real API server', () => {
  let cp: ControlPlane;
  const dist = fixtureDist();
  const file = (target: string, name: string) => yamlObjects(join(dist, target, name));
  const json = async (args: string[]): Promise<Obj> => JSON.parse((await cp.kubectl([...args, '-o', 'json'])).stdout);

  /** A server-side dry-run create of `pod` in the namespace enforcing `level`. */
  async function dryRun(pod: Obj, level: Level): Promise<{ admitted: boolean; violations: string[]; stderr: string }> {
    const run = await cp.kubectl(['create', '--dry-run=server', '-n', NS[level], '-f', '-'], { input: JSON.stringify(pod), check: false });
    return { admitted: run.code === 0, violations: violations(run.stderr, level), stderr: run.stderr };
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(250);
    }
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    // The dry runs' namespaces, and the ServiceAccounts the pods name (the ServiceAccount admission plugin refuses
    // a pod whose account does not exist, before PodSecurity looks at it).
    const accounts = ['restate-operator', 'restate', 'restate-dev-provision', 'restate-prod-provision', 'restate-prod-drain-5-to-4'];
    const objects = Object.entries(NS).flatMap(([level, name]) => [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [ENFORCE]: level } } },
      ...accounts.map((sa) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: name } })),
    ]);
    await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  test('the provisioning Job and the drain Job meet restricted, the strictest level', async () => {
    // GIVEN the provisioning Job of every target that has one, and the drain Job of a scale-in (prod/vultr, 5 -> 4)
    const provisioning = ['dev/kind', 'prod/vultr', 'prod/aws'].map((target) => {
      const job = file(target, '0002-provisioning.k8s.yaml').find((o) => o.kind === 'Job');
      return { target, pod: podOfTemplate(job, `${job.metadata.name}-x`) };
    });
    const workspace = new ChangeWorkspace('prod', 'vultr');
    let drain: Obj;
    try {
      const step = workspace.commit((values, f) => values.set(f, ['scaleIn'], { from: 5, to: 4 }));
      expect(step.refused).toBeUndefined();
      const jobs = numberedFiles(step.dir!)
        .flatMap(yamlObjects)
        .filter((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'drain');
      expect(jobs).toHaveLength(1);
      drain = jobs[0];
    } finally {
      workspace.remove();
    }
    expect(drain.spec.template.spec.serviceAccountName).toBe('restate-prod-drain-5-to-4');

    // WHEN each Job's pod is created where restricted is enforced
    // THEN it is admitted
    for (const { target, pod } of [...provisioning, { target: 'prod/vultr drain', pod: podOfTemplate(drain, 'drain-x') }]) {
      const result = await dryRun(pod, 'restricted');
      expect({ target, ...result }).toEqual({ target, admitted: true, violations: [], stderr: '' });
    }
  }, 60_000);

  // The operator's chart values as each target ships them: Argo CD's valuesObject or Flux's HelmRelease values.
  const operatorTargets: Array<{ target: string; version: OperatorChartVersion }> = [
    { target: 'dev/kind', version: '1.7.4' },
    { target: 'prod/aws', version: '1.7.4' },
    { target: 'staging/vultr', version: '2.8.1' },
  ];
  function shippedChartValues(target: string): { version: string; values: Obj } {
    const objects = file(target, '0000-operator.k8s.yaml');
    const app = objects.find((o) => o.kind === 'Application' && o.spec.source.chart === 'restate-operator-helm');
    if (app) return { version: app.spec.source.targetRevision, values: app.spec.source.helm.valuesObject ?? {} };
    const release = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'restate-operator');
    const repository = objects.find((o) => o.kind === 'OCIRepository' && o.metadata.name === 'restate-operator');
    return { version: repository.spec.ref.tag, values: release.spec.values ?? {} };
  }

  test("the operator's own pod (chart 1.7.4 and 2.8.1, our values) meets baseline; restricted refuses it for its seccomp profile only", async () => {
    for (const { target, version } of operatorTargets) {
      // GIVEN the chart's Deployment pod with the values the target ships
      const shipped = shippedChartValues(target);
      expect(shipped.version).toBe(version);
      const pod = operatorChartPod(version, shipped.values);

      // WHEN it is created where baseline, then restricted, is enforced
      const baseline = await dryRun(pod, 'baseline');
      const restricted = await dryRun(pod, 'restricted');

      // THEN baseline admits it; restricted refuses it, naming the seccomp profile and nothing else
      expect({ target, ...baseline }).toEqual({ target, admitted: true, violations: [], stderr: '' });
      expect({ target, admitted: restricted.admitted, violations: restricted.violations }).toEqual({
        target,
        admitted: false,
        violations: ['seccompProfile'],
      });
      expect(restricted.stderr).toContain('must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"');
    }
  }, 60_000);

  test('with the chart values the restricted refusal asks for (a RuntimeDefault seccomp profile), the operator pod meets restricted', async () => {
    // GIVEN chart 1.7.4 and 2.8.1 with podSecurityContext.seccompProfile set, as synth demands with operator.podSecurityLevel: restricted
    for (const version of ['1.7.4', '2.8.1'] as const) {
      const pod = operatorChartPod(version, { podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } } });
      // THEN the chart's other defaults are kept (helm merges maps) and restricted admits the pod
      expect(pod.spec.securityContext).toEqual({
        fsGroup: 2000,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect({ version, ...(await dryRun(pod, 'restricted')) }).toEqual({ version, admitted: true, violations: [], stderr: '' });
    }

    // AND synth's check of those values (operatorPodHasSeccomp, behind operator.podSecurityLevel: restricted) says
    // what the plugin says, for profiles set on the pod, the container, both, or as Unconfined
    const profile = (type: string) => ({ seccompProfile: { type, ...(type === 'Localhost' ? { localhostProfile: 'p.json' } : {}) } });
    const cases = [
      {},
      { securityContext: profile('RuntimeDefault') },
      { securityContext: profile('Localhost') },
      { podSecurityContext: profile('Unconfined') },
      { podSecurityContext: profile('RuntimeDefault'), securityContext: profile('Unconfined') },
      { podSecurityContext: profile('Unconfined'), securityContext: profile('RuntimeDefault') },
    ];
    for (const chartValues of cases) {
      const { admitted } = await dryRun(operatorChartPod('1.7.4', chartValues), 'restricted');
      expect({ chartValues, admitted }).toEqual({ chartValues, admitted: operatorPodHasSeccomp(chartValues) });
    }
  }, 30_000);

  test("the Restate cluster's pods (operator 1.7.4 and 2.8.1) meet baseline; restricted refuses them for runAsNonRoot and capabilities", async () => {
    for (const target of ['dev/kind', 'dev/vultr', 'staging/vultr', 'prod/vultr', 'prod/aws']) {
      // GIVEN pod restate-0 as the target's operator builds it from the target's RestateCluster
      const cluster = file(target, '0001-cluster.k8s.yaml').find((o) => o.kind === 'RestateCluster');
      const version = shippedChartValues(target).version as OperatorChartVersion;
      const pod = clusterPod(cluster, version);

      // WHEN it is created where baseline, then restricted, is enforced
      const baseline = await dryRun(pod, 'baseline');
      const restricted = await dryRun(pod, 'restricted');

      // THEN baseline admits it; restricted refuses it, naming the two fields the operator does not set
      expect({ target, ...baseline }).toEqual({ target, admitted: true, violations: [], stderr: '' });
      expect({ target, admitted: restricted.admitted, violations: restricted.violations }).toEqual({
        target,
        admitted: false,
        violations: ['runAsNonRoot != true', 'unrestricted capabilities'],
      });
      expect(restricted.stderr).toContain('must set securityContext.capabilities.drop=["ALL"]');
      expect(restricted.stderr).toContain('must set securityContext.runAsNonRoot=true');
    }
  }, 60_000);

  test("operator 2.8.1's credential canary pod (no shipped target makes one) meets baseline; restricted refuses it on four fields", async () => {
    // GIVEN the canary Job's pod for the staging cluster, as 2.8.1 would run it with AWS pod identity
    const cluster = file('staging/vultr', '0001-cluster.k8s.yaml').find((o) => o.kind === 'RestateCluster');
    const pod = canaryPod(cluster, 'restate-pia-canary');
    // THEN
    expect(await dryRun(pod, 'baseline')).toEqual({ admitted: true, violations: [], stderr: '' });
    expect((await dryRun(pod, 'restricted')).violations).toEqual([
      'allowPrivilegeEscalation != false',
      'runAsNonRoot != true',
      'seccompProfile',
      'unrestricted capabilities',
    ]);
  }, 30_000);

  test("in the operator's namespace as synth labels it, the Job and Deployment controllers create our Job's pod and the operator's pod", async () => {
    // GIVEN the operator's Namespace as dev/kind ships it (flux delivery: a Namespace object), and as Argo CD's
    // CreateNamespace makes it from prod/aws's managedNamespaceMetadata (a stand-in: Argo CD does not run here)
    const namespace = file('dev/kind', '0000-operator.k8s.yaml').find((o) => o.kind === 'Namespace');
    expect(namespace.metadata.labels).toEqual({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/audit': 'baseline',
      'pod-security.kubernetes.io/warn': 'baseline',
    });
    const application = file('prod/aws', '0000-operator.k8s.yaml').find((o) => o.kind === 'Application');
    expect(application.spec.syncPolicy.managedNamespaceMetadata.labels).toEqual(namespace.metadata.labels);
    await cp.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], { input: JSON.stringify(namespace) });

    // WHEN the provisioning file is applied (ConfigMap, ServiceAccount, Job), and the chart's Deployment
    const provisioning = file('dev/kind', '0002-provisioning.k8s.yaml');
    const apply = await cp.kubectl(['apply', '--server-side', '--field-manager=restate-stack', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: provisioning }),
    });
    const operatorPod = operatorChartPod('1.7.4', shippedChartValues('dev/kind').values);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'restate-operator', namespace: 'restate-operator' },
      spec: {
        replicas: 1,
        selector: { matchLabels: operatorPod.metadata.labels },
        template: { metadata: { labels: operatorPod.metadata.labels }, spec: operatorPod.spec },
      },
    };
    await cp.kubectl(['create', 'serviceaccount', 'restate-operator', '-n', 'restate-operator']);
    const created = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(deployment) });

    // THEN neither apply warns (warn mode holds them to baseline at apply time), and each controller's pod exists
    expect(apply.stderr).toBe('');
    expect(created.stderr).toBe('');
    const job = provisioning.find((o) => o.kind === 'Job');
    const pods = await waitFor('the Job and ReplicaSet pods', async () => {
      const list = await json(['get', 'pods', '-n', 'restate-operator']);
      const names: string[] = list.items.map((p: Obj) => p.metadata.name);
      const ok = names.some((n) => n.startsWith(`${job.metadata.name}-`)) && names.some((n) => n.startsWith('restate-operator-'));
      return ok ? names : undefined;
    });
    expect(pods).toHaveLength(2);

    // AND raising the namespace to restricted (a dry run) warns about the operator's pod alone, for its seccomp profile
    const raise = await cp.kubectl(['label', '--dry-run=server', '--overwrite', 'namespace', 'restate-operator', `${ENFORCE}=restricted`]);
    expect(raise.stderr).toContain(
      'existing pods in namespace "restate-operator" violate the new PodSecurity enforce level "restricted:latest"',
    );
    const operatorPodName = pods.find((n) => n.startsWith('restate-operator-'))!;
    expect(raise.stderr).toContain(`${operatorPodName}: seccompProfile`);
    expect(raise.stderr).not.toContain(job.metadata.name);
  }, 60_000);

  test("the cluster's namespace: a PodSecurity label put there with kubectl survives the operator's server-side apply of the namespace", async () => {
    // GIVEN the namespace restate-dev as the operator applies it (controller.rs apply_namespace at v1.7.4 and
    // v2.8.1: server-side apply, field manager restate-operator, forced, with the CR's labels and annotations and
    // the mandatory labels)
    const cluster = file('dev/kind', '0001-cluster.k8s.yaml').find((o) => o.kind === 'RestateCluster');
    const operatorNamespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: cluster.metadata.name,
        labels: { ...cluster.metadata.labels, 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': cluster.metadata.name },
        annotations: cluster.metadata.annotations,
      },
    };
    const operatorApply = () =>
      cp.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=restate-operator', '-f', '-'], {
        input: JSON.stringify(operatorNamespace),
      });
    await operatorApply();

    // WHEN the user labels it as docs/pod-security.md says, and the operator reconciles again
    await cp.kubectl(['label', 'namespace', cluster.metadata.name, `${ENFORCE}=baseline`]);
    await operatorApply();

    // THEN the label is still there, and the cluster's pod is admitted there while a privileged one is refused
    const live = await json(['get', 'namespace', cluster.metadata.name]);
    expect(live.metadata.labels[ENFORCE]).toBe('baseline');
    await cp.kubectl(['create', 'serviceaccount', 'restate', '-n', cluster.metadata.name]);
    const pod = clusterPod(cluster, '1.7.4');
    const admitted = await cp.kubectl(['create', '--dry-run=server', '-n', cluster.metadata.name, '-f', '-'], {
      input: JSON.stringify(pod),
    });
    expect(admitted.stderr).toBe('');
    pod.spec.containers[0].securityContext.privileged = true;
    pod.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const refused = await cp.kubectl(['create', '--dry-run=server', '-n', cluster.metadata.name, '-f', '-'], {
      input: JSON.stringify(pod),
      check: false,
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'violates PodSecurity "baseline:latest": privileged (container "restate" must not set securityContext.privileged=true)',
    );
  }, 60_000);
});
