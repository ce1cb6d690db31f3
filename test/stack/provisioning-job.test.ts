import { Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RestateCluster } from '../../lib/stack/cluster';
import { ProvisioningJob, type ProvisioningJobProps } from '../../lib/stack/provisioning/job';
import { provisioningPeer } from '../../lib/stack/provisioning/names';
import { sizeOfBytes } from '../../lib/stack/units';
import { provisioningNames } from '../../lib/stack/provisioning/names';
import { validateManifests } from '../support/validate';

const SCRIPT = readFileSync(join(__dirname, '..', '..', 'lib', 'stack', 'provisioning', 'provision.sh'), 'utf8');

function synthStep(props: Partial<ProvisioningJobProps> = {}) {
  const chart = Testing.chart();
  new ProvisioningJob(chart, 'Provisioning', {
    clusterName: 'restate-prod',
    namespace: 'restate-operator',
    image: 'restatedev/restate:1.4',
    ...props,
  });
  const objects = Testing.synth(chart);
  const byKind = (kind: string) => objects.find((o) => o.kind === kind);
  return { objects, configMap: byKind('ConfigMap'), serviceAccount: byKind('ServiceAccount'), job: byKind('Job') };
}

/** NetworkPolicy label-selector semantics for matchLabels: every pair must be on the object. */
const selects = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) =>
  Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);

describe('ProvisioningJob', () => {
  test('emits a ConfigMap, a ServiceAccount and a Job, all in the operator namespace, all valid', () => {
    // WHEN
    const { objects } = synthStep();
    // THEN nothing lands in the cluster's own namespace, which the operator must create itself
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap restate-operator/restate-prod-provision',
      'ServiceAccount restate-operator/restate-prod-provision',
      'Job restate-operator/restate-prod-provision',
    ]);
    expect(validateManifests(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });

  test('resolves the nodes’ advertised short names from the operator namespace through the cluster namespace in its search list', () => {
    // WHEN the cluster domain is the default, then another one
    const { job } = synthStep();
    const { job: other } = synthStep({ clusterDomain: 'k8s.example' });
    // THEN the pod keeps the cluster DNS and appends <cluster>.svc.<domain>; the seed is restate-0's full name
    expect(job.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
    expect(job.spec.template.spec.dnsConfig).toEqual({ searches: ['restate-prod.svc.cluster.local'] });
    expect(other.spec.template.spec.dnsConfig).toEqual({ searches: ['restate-prod.svc.k8s.example'] });
    expect(other.spec.template.spec.containers[0].args.slice(0, 2)).toEqual([
      '--address',
      'http://restate-0.restate-cluster.restate-prod.svc.k8s.example:5122',
    ]);
  });

  test('GIVEN the wanted replication WHEN synthesized THEN the script is asked to ensure it after provisioning', () => {
    const { job } = synthStep({ replicas: 5, replication: 3 });
    expect(job.spec.template.spec.containers[0].args.slice(-4)).toEqual(['--replicas', '5', '--ensure-replication', '3']);
  });

  test('ships the repository script byte for byte, and runs it against restate-0 of the cluster', () => {
    const { configMap, job } = synthStep();
    expect(configMap.data).toEqual({ 'provision.sh': SCRIPT });
    const [container] = job.spec.template.spec.containers;
    expect(container.image).toBe('restatedev/restate:1.4');
    expect(container.command).toEqual(['sh', '/scripts/provision.sh']);
    expect(container.args).toEqual([
      '--address',
      'http://restate-0.restate-cluster.restate-prod.svc.cluster.local:5122',
      '--deadline',
      '600',
    ]);
    expect(job.spec.template.spec.volumes).toContainEqual({
      name: 'script',
      configMap: { name: 'restate-prod-provision', defaultMode: 0o444 },
    });
  });

  test('runs hardened: non-root with a numeric user, read-only root, no capabilities, RuntimeDefault seccomp, no token', () => {
    const { job, serviceAccount } = synthStep();
    const pod = job.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(serviceAccount.metadata.name);
    expect(container.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } });
  });

  test('the only writable path is an emptyDir, and HOME points into it', () => {
    const { job } = synthStep();
    const pod = job.spec.template.spec;
    const [container] = pod.containers;
    const writable = container.volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly);
    expect(writable).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } });
    expect(container.env).toEqual([{ name: 'HOME', value: '/tmp' }]);
  });

  test('is bounded: retries, a deadline covering every attempt, and clean-up after it finishes', () => {
    const { job } = synthStep();
    expect(job.spec.backoffLimit).toBe(2);
    expect(job.spec.activeDeadlineSeconds).toBe(3 * (600 + 60));
    expect(job.spec.ttlSecondsAfterFinished).toBe(3600);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  test('its resources follow the props: cpu as written, memory in Mi', () => {
    const { job } = synthStep({ resources: { cpu: { limit: Cpu.units(1) }, memory: { request: Size.gibibytes(1) } } });
    expect(job.spec.template.spec.containers[0].resources).toEqual({ requests: { memory: '1024Mi' }, limits: { cpu: '1' } });
  });

  test('its bounds follow the props', () => {
    const { job } = synthStep({ deadline: Duration.seconds(120), backoffLimit: 0, ttlAfterFinished: Duration.minutes(1), runAsUser: 1000 });
    expect(job.spec.template.spec.containers[0].args).toEqual([
      '--address',
      'http://restate-0.restate-cluster.restate-prod.svc.cluster.local:5122',
      '--deadline',
      '120',
    ]);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(180);
    expect(job.spec.ttlSecondsAfterFinished).toBe(60);
    expect(job.spec.template.spec.securityContext.runAsUser).toBe(1000);
  });

  test("under Argo CD the Job is a Sync hook in the RestateCluster's wave (not after it: Ready waits for it), deleted when it succeeded", () => {
    const { job, configMap, serviceAccount } = synthStep();
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-wave': '0',
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded',
    });
    // the cluster is wave 0 (lib/stack/cluster.ts); the ConfigMap and ServiceAccount are plain resources of that wave
    expect(configMap.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
    expect(serviceAccount.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '0' });
  });

  test('a cluster name too long for the Job name is refused with the limit', () => {
    expect(() => synthStep({ clusterName: 'a'.repeat(54) })).toThrow('shorten clusterName to at most 53');
  });
});

describe('provisioningPeer', () => {
  test("selects exactly the Job's pods, in the operator namespace", () => {
    // GIVEN the step's pods
    const { job } = synthStep();
    const podLabels = job.spec.template.metadata.labels;

    // WHEN asking for the peer
    const peer = provisioningPeer('restate-prod', 'restate-operator');

    // THEN both selectors are set (one peer: these pods in that namespace) and match the pods and namespace
    expect(peer).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'restate-operator' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'restate-provision', 'app.kubernetes.io/instance': 'restate-prod' } },
    });
    expect(selects(peer.podSelector!, podLabels)).toBe(true);
    expect(selects(peer.namespaceSelector!, { 'kubernetes.io/metadata.name': job.metadata.namespace })).toBe(true);
  });

  test("does not select another cluster's provisioning pods, nor the operator's", () => {
    const peer = provisioningPeer('restate-prod', 'restate-operator');
    expect(selects(peer.podSelector!, provisioningNames('restate-dev').podLabels)).toBe(false);
    expect(
      selects(peer.podSelector!, { 'app.kubernetes.io/name': 'restate-operator', 'app.kubernetes.io/instance': 'restate-operator' }),
    ).toBe(false);
  });

  test("fits the RestateCluster's security.networkPeers.metrics (the 5122 peer list) per the 1.7.4 CRD", () => {
    // GIVEN a cluster that lets the step in
    const chart = Testing.chart();
    new RestateCluster(chart, 'Cluster', {
      name: 'restate-prod',
      image: 'restatedev/restate:1.4',
      storageRequest: sizeOfBytes(1),
      config: '',
      fabricPeers: [provisioningPeer('restate-prod', 'restate-operator')],
    });
    // WHEN synthesized
    const objects = Testing.synth(chart);
    // THEN the peer is there verbatim and the object passes the CRD schema
    expect(objects[0].spec.security.networkPeers.metrics).toEqual([provisioningPeer('restate-prod', 'restate-operator')]);
    expect(validateManifests(objects)).toEqual([]);
  });
});
