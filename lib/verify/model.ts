import type { ClusterUnderTest } from './cluster-spec';
import { nodeIp } from './hosts';
import { KUBE_DNS_IP } from './kube-dns';
import {
  type ClusterSecurity,
  type NetworkPolicy,
  OPERATOR_1_7_4,
  operatorNetworkPolicies,
  type PolicyPeer,
} from '../operator-part/network-policies';
import { ADMIN_PORT, clusterPodLabels, FABRIC_PORT, INGRESS_PORT, podName } from '../target-folder/operator-names';
import type { EnforcedPod } from './policy-nft';
import { POD_UID_BASE } from './pods';
import { S3_STAND_IN_IP, S3_STAND_IN_PORT } from './s3-stand-in';
import { SERVICE_PORT } from './service-app';

/** Where the model takes the target's Prometheus and object store to run (from the target's files). */
export interface ModelInputs {
  readonly cluster: ClusterUnderTest;
  /** The provisioning Job's namespace and pod labels, when the target has one. */
  readonly job?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
  /** The PodMonitor's namespace: Prometheus runs there, labelled as kube-prometheus-stack labels it. */
  readonly prometheusNamespace?: string;
  /** The snapshot endpoint's host (`svc.ns.svc…`), when the config has a snapshot store the stand-in replaces. */
  readonly objectStoreHost?: string;
}

/** Every pod of the model with its identity, uid and what it listens on; and the policies that bind them. */
export interface ClusterModel {
  readonly policies: readonly NetworkPolicy[];
  readonly nodes: readonly EnforcedPod[];
  readonly operator: EnforcedPod;
  /** The operator provisions the cluster (`spec.cluster.autoProvision`, 2.8.1): it must reach 5122. */
  readonly operatorProvisions: boolean;
  readonly job?: EnforcedPod;
  readonly prometheus?: EnforcedPod;
  /** A pod that `networkPeers.ingress` admits, when the CR admits anyone. */
  readonly admittedApp?: EnforcedPod;
  /** Why there is no admitted application, when there is none. */
  readonly noAdmittedApp?: string;
  /** A pod that no peer lists. */
  readonly unlistedApp: EnforcedPod;
  /** The SDK service deployment, labelled `allow.restate.dev/<cluster>: "true"` so Restate may call it. */
  readonly service: EnforcedPod & { readonly ip: string };
  readonly objectStore?: EnforcedPod;
  /** The cluster DNS stand-in, as the kube-dns pod the operator's DNS policy admits. */
  readonly kubeDns: EnforcedPod;
  readonly all: readonly EnforcedPod[];
}

export const SERVICE_IP = '127.0.2.1';

/** Where the Prometheus pod (a real Prometheus, prometheus-pod.ts) serves its API. */
export const PROMETHEUS_IP = '127.0.3.1';
/** Its port (the kube-prometheus-stack default). */
export const PROMETHEUS_PORT = 9090;

const tcp = (port: number) => ({ port, protocol: 'TCP' as const });

/** A pod that the peer selects, when one can be written down from its matchLabels alone. */
function podForPeer(peer: PolicyPeer, clusterNamespace: string): { namespace: string; labels: Record<string, string> } | undefined {
  if (peer.ipBlock) return undefined;
  const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  const namespace = peer.namespaceSelector === undefined ? clusterNamespace : (ns ?? 'verify-app');
  return { namespace, labels: { ...(peer.podSelector?.matchLabels ?? {}) } };
}

/**
 * The pods of one target's model, derived from its synthesized files and its operator version (1.7.4 or 2.8.1;
 * the operator's identity, `app: restate-operator` in its namespace, is the same in both charts: templates/_helpers.tpl
 * `controller.selectorLabels` at v2.8.1).
 */
export function buildClusterModel(inputs: ModelInputs): ClusterModel {
  const { cluster } = inputs;
  const security = cluster.security as ClusterSecurity | undefined;
  const policies = operatorNetworkPolicies(cluster.name, security, OPERATOR_1_7_4, {
    operatorVersion: cluster.operatorVersion,
    autoProvision: cluster.autoProvision,
  });
  let n = 0;
  const podIp = () => `10.244.0.${10 + n++}`;
  const nodes: EnforcedPod[] = Array.from({ length: cluster.replicas }, (_, ordinal) => ({
    name: podName(ordinal),
    namespace: cluster.name,
    labels: clusterPodLabels(cluster.name),
    uid: POD_UID_BASE + ordinal,
    ip: nodeIp(ordinal),
    podIp: podIp(),
    namedPorts: { ingress: INGRESS_PORT, admin: ADMIN_PORT, metrics: FABRIC_PORT },
    listens: [tcp(FABRIC_PORT), tcp(ADMIN_PORT), tcp(INGRESS_PORT)],
  }));
  const operator: EnforcedPod = {
    name: 'restate-operator',
    namespace: OPERATOR_1_7_4.namespace,
    labels: { [OPERATOR_1_7_4.labelName]: OPERATOR_1_7_4.labelValue },
    uid: POD_UID_BASE + 50,
    podIp: podIp(),
  };
  const job: EnforcedPod | undefined = inputs.job && {
    name: 'provision-job',
    namespace: inputs.job.namespace,
    labels: inputs.job.podLabels,
    uid: POD_UID_BASE + 60,
    podIp: podIp(),
  };
  const prometheus: EnforcedPod | undefined = inputs.prometheusNamespace
    ? {
        name: 'prometheus',
        namespace: inputs.prometheusNamespace,
        labels: { 'app.kubernetes.io/name': 'prometheus' },
        uid: POD_UID_BASE + 70,
        ip: PROMETHEUS_IP,
        podIp: podIp(),
        listens: [tcp(PROMETHEUS_PORT)],
      }
    : undefined;
  const ingressPeers = security?.networkPeers?.ingress;
  let admittedApp: EnforcedPod | undefined;
  let noAdmittedApp: string | undefined;
  if (ingressPeers === undefined) noAdmittedApp = 'spec.security.networkPeers.ingress is unset: the operator admits nobody to 8080';
  else {
    const spec =
      ingressPeers.length === 0 ? { namespace: 'verify-app', labels: { app: 'client' } } : podForPeer(ingressPeers[0], cluster.name);
    if (spec) admittedApp = { name: 'admitted-client', ...spec, uid: POD_UID_BASE + 80, podIp: podIp() };
    else noAdmittedApp = 'the first networkPeers.ingress entry is an ipBlock: no pod of the model stands for it';
  }
  const unlistedApp: EnforcedPod = {
    name: 'unlisted-client',
    namespace: 'verify-unlisted',
    labels: { app: 'unlisted' },
    uid: POD_UID_BASE + 90,
    podIp: podIp(),
  };
  const service = {
    name: 'counter',
    namespace: 'verify-services',
    labels: { app: 'counter', [`allow.restate.dev/${cluster.name}`]: 'true' },
    uid: POD_UID_BASE + 100,
    ip: SERVICE_IP,
    podIp: podIp(),
    listens: [tcp(SERVICE_PORT)],
  };
  let objectStore: EnforcedPod | undefined;
  if (inputs.objectStoreHost) {
    // `<service>.<namespace>.svc…`: the stand-in is a pod of that namespace, labelled as the CR's egress rule to
    // that namespace selects its pods (else `app: <service>`).
    const inCluster = /\.svc(\.|$)/.test(inputs.objectStoreHost) || !inputs.objectStoreHost.includes('.');
    const [svc, ns = cluster.name] = inCluster ? inputs.objectStoreHost.split('.') : [inputs.objectStoreHost, 'outside-the-cluster'];
    const rule = (security?.networkEgressRules ?? [])
      .flatMap((r) => r.to ?? [])
      .find((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === ns);
    objectStore = {
      name: `${svc}-stand-in`,
      namespace: ns,
      labels: { ...(rule?.podSelector?.matchLabels ?? { app: svc }) },
      uid: POD_UID_BASE + 110,
      ip: S3_STAND_IN_IP,
      // Outside the cluster: a public address (TEST-NET-3), which the operator's public-internet policy admits.
      podIp: inCluster ? podIp() : '203.0.113.10',
      listens: [tcp(S3_STAND_IN_PORT)],
    };
  }
  const kubeDns: EnforcedPod = {
    name: 'kube-dns',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    uid: POD_UID_BASE + 120,
    ip: KUBE_DNS_IP,
    podIp: podIp(),
    // The stand-in answers on UDP only (kube-dns.ts).
    listens: [{ port: 53, protocol: 'UDP' }],
  };
  const all = [
    ...nodes,
    kubeDns,
    operator,
    ...(job ? [job] : []),
    ...(prometheus ? [prometheus] : []),
    ...(admittedApp ? [admittedApp] : []),
    unlistedApp,
    service,
    ...(objectStore ? [objectStore] : []),
  ];
  return {
    policies,
    nodes,
    kubeDns,
    operator,
    operatorProvisions: cluster.autoProvision === true,
    job,
    prometheus,
    admittedApp,
    noAdmittedApp,
    unlistedApp,
    service,
    objectStore,
    all,
  };
}
