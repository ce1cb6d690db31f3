/**
 * The NetworkPolicies the operator creates in a RestateCluster's namespace: as data (what verify's nftables rules
 * enforce) and as the objects the operator's part writes. Derived from
 * `src/controllers/restatecluster/reconcilers/network_policies.rs` at tag v1.7.4 (line numbers below; `@2.8.1`
 * marks lines at tag v2.8.1 where 2.8.1 differs), and from the CR's `spec.security`.
 */
import { clusterPodLabels } from '../target-folder/operator-names';
import type { OperatorVersion } from '../values';
import { type Manifest, type RestateClusterObject, withoutUndefined } from './manifest';
import { objectMeta } from './metadata';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface PolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

export interface PolicyPort {
  /** @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** A number or a container port name; absent = every port. */
  readonly port?: number | string;
  readonly endPort?: number;
}

export interface PolicyRule {
  /** Absent or empty: every peer (Kubernetes' rule). */
  readonly peers?: readonly PolicyPeer[];
  /** Absent or empty: every port. */
  readonly ports?: readonly PolicyPort[];
}

export interface NetworkPolicy {
  readonly name: string;
  readonly namespace: string;
  /** Empty: every pod of the namespace. */
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly ('Ingress' | 'Egress')[];
  /** Absent with 'Ingress' in policyTypes: nothing may come in. */
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
}

/** Where the operator runs and the label its admin-access peer selects (chart 1.7.4: `app: restate-operator`). */
export interface OperatorIdentity {
  readonly namespace: string;
  readonly labelName: string;
  readonly labelValue: string;
}

export const OPERATOR_1_7_4: OperatorIdentity = { namespace: 'restate-operator', labelName: 'app', labelValue: 'restate-operator' };

/** `spec.security` of the RestateCluster, as far as the policies read it. */
export interface ClusterSecurity {
  readonly disableNetworkPolicies?: boolean;
  readonly allowOperatorAccessToAdmin?: boolean;
  readonly networkPeers?: {
    readonly ingress?: readonly PolicyPeer[];
    readonly admin?: readonly PolicyPeer[];
    readonly metrics?: readonly PolicyPeer[];
    /** 2.8.1: the name of `metrics` that wins when both are set (`node_peers`, restateclusters.rs:267-269 @2.8.1). */
    readonly node?: readonly PolicyPeer[];
  };
  readonly networkEgressRules?: readonly { readonly to?: readonly PolicyPeer[]; readonly ports?: readonly PolicyPort[] }[];
  readonly awsPodIdentityAssociationRoleArn?: string;
}

const namespaceIs = (namespace: string): LabelSelector => ({ matchLabels: { 'kubernetes.io/metadata.name': namespace } });

/** `add_peer` (:380-398): unset = only the added peer; `[]` = everybody (stays empty); else the list plus it. */
function addPeer(peers: readonly PolicyPeer[] | undefined, add: PolicyPeer): readonly PolicyPeer[] {
  if (peers === undefined) return [add];
  if (peers.length === 0) return [];
  return [...peers, add];
}

/** `allow_access` (:160-184): one rule for the port from the peers; no peers (unset) = no rule = nobody. */
function allowAccess(
  port: number,
  portName: string,
  namespace: string,
  selector: LabelSelector,
  peers: readonly PolicyPeer[] | undefined,
): NetworkPolicy {
  return {
    name: `allow-${portName}-access`,
    namespace,
    podSelector: selector,
    policyTypes: ['Ingress'],
    ...(peers === undefined ? {} : { ingress: [{ peers, ports: [{ protocol: 'TCP', port }] }] }),
  };
}

/** Which operator builds the policies, and what of the cluster changes them. */
export interface PolicyOptions {
  /** @default "1.7.4" */
  readonly operatorVersion?: OperatorVersion;
  /** `spec.cluster.autoProvision` (2.8.1): the operator is admitted to 5122 (:381-412 @2.8.1). @default false */
  readonly autoProvision?: boolean;
}

/**
 * The policies of `reconcile_network_policies` (:255-378; :275-423 @2.8.1) for a cluster whose namespace (= its
 * name) is `namespace`: none when `disableNetworkPolicies`.
 */
export function operatorNetworkPolicies(
  namespace: string,
  security: ClusterSecurity | undefined,
  operator: OperatorIdentity = OPERATOR_1_7_4,
  options: PolicyOptions = {},
): NetworkPolicy[] {
  if (security?.disableNetworkPolicies === true) return [];
  const v2 = (options.operatorVersion ?? '1.7.4') === '2.8.1';
  const selector: LabelSelector = { matchLabels: clusterPodLabels(namespace) };
  const ownPods: PolicyPeer = { namespaceSelector: namespaceIs(namespace), podSelector: selector };
  const peers = security?.networkPeers;
  const kubeDns: PolicyPeer = { podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } }, namespaceSelector: namespaceIs('kube-system') };
  const policies: NetworkPolicy[] = [
    // deny_all (:27-35): no podSelector, so every pod in the namespace, both directions. At 2.8.1 (:27-36 @2.8.1)
    // it selects the cluster's pods only.
    { name: 'deny-all', namespace, podSelector: v2 ? selector : {}, policyTypes: ['Egress', 'Ingress'] },
    // allow_dns (:39-80): every pod of the namespace to kube-dns in kube-system, UDP and TCP 53. At 2.8.1
    // (:38-97 @2.8.1) renamed allow-egress-to-dns, the cluster's pods only, and the node-local DNS cache too.
    {
      name: v2 ? 'allow-egress-to-dns' : 'allow-egress-to-kube-dns',
      namespace,
      podSelector: v2 ? selector : {},
      policyTypes: ['Egress'],
      egress: [
        {
          peers: v2 ? [kubeDns, { ipBlock: { cidr: '169.254.20.10/32' } }] : [kubeDns],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
    // allow_public (:84-126): public IPv4 only; in-cluster pod addresses are private.
    {
      name: 'allow-restate-egress-to-public-internet',
      namespace,
      podSelector: selector,
      policyTypes: ['Egress'],
      egress: [
        {
          peers: [
            { ipBlock: { cidr: '0.0.0.0/1', except: ['10.0.0.0/8'] } },
            { ipBlock: { cidr: '128.0.0.0/1', except: ['192.168.0.0/16', '172.16.0.0/12', '169.254.0.0/16'] } },
          ],
        },
      ],
    },
  ];
  if (security?.awsPodIdentityAssociationRoleArn !== undefined) {
    // allow_aws_pod_identity (:130-154)
    policies.push({
      name: 'allow-restate-egress-to-aws-pod-identity',
      namespace,
      podSelector: selector,
      policyTypes: ['Egress'],
      egress: [{ peers: [{ ipBlock: { cidr: '169.254.170.23/32' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
    });
  }
  // allow_egress (:188-253): the CR's rules, then 5122 to the cluster's own pods, then any port to pods labelled
  // allow.restate.dev/<namespace>=true in any namespace.
  policies.push({
    name: 'allow-restate-egress',
    namespace,
    podSelector: selector,
    policyTypes: ['Egress'],
    egress: [
      ...(security?.networkEgressRules ?? []).map((r) => ({ ...(r.to ? { peers: r.to } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
      { peers: [ownPods], ports: [{ protocol: 'TCP', port: 5122 }] },
      { peers: [{ namespaceSelector: {}, podSelector: { matchLabels: { [`allow.restate.dev/${namespace}`]: 'true' } } }] },
    ],
  });
  policies.push(allowAccess(8080, 'ingress', namespace, selector, peers?.ingress));
  // :316-345: the operator is added to the admin peers unless allowOperatorAccessToAdmin is false.
  const operatorPeer: PolicyPeer = {
    namespaceSelector: namespaceIs(operator.namespace),
    podSelector: { matchLabels: { [operator.labelName]: operator.labelValue } },
  };
  const adminPeers = security?.allowOperatorAccessToAdmin === false ? peers?.admin : addPeer(peers?.admin, operatorPeer);
  policies.push(allowAccess(9070, 'admin', namespace, selector, adminPeers));
  // :354-375: metrics (5122) from the listed peers plus the cluster's own pods. At 2.8.1 (:381-420 @2.8.1) the
  // peers are `node` (else `metrics`), and the operator is appended when it provisions (autoProvision), even to
  // an empty list (which then admits only the operator).
  const nodePeers = addPeer(v2 ? (peers?.node ?? peers?.metrics) : peers?.metrics, ownPods);
  policies.push(allowAccess(5122, 'metrics', namespace, selector, v2 && options.autoProvision ? [...nodePeers, operatorPeer] : nodePeers));
  return policies;
}

const ruleManifest = (peers: 'from' | 'to', rule: PolicyRule): Manifest =>
  withoutUndefined({ [peers]: rule.peers, ports: rule.ports }) as Manifest;

/**
 * The NetworkPolicy objects the operator applies (`apply_network_policy`, :400-413): each policy above as
 * networking.k8s.io/v1 with the object metadata of every derived object (`object_meta`, reconcilers/mod.rs:29-36).
 * A policy without `ingress` keeps the key out: `None` is not serialized, and no rule admits nobody.
 */
export function networkPolicyManifests(cluster: RestateClusterObject, version: OperatorVersion): Manifest[] {
  const policies = operatorNetworkPolicies(cluster.metadata.name, cluster.spec.security as ClusterSecurity | undefined, OPERATOR_1_7_4, {
    operatorVersion: version,
    autoProvision: version === '2.8.1' && cluster.spec.cluster?.autoProvision === true,
  });
  return policies.map((policy) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(cluster, policy.name, policy.namespace),
    spec: withoutUndefined({
      podSelector: policy.podSelector,
      policyTypes: policy.policyTypes,
      ingress: policy.ingress?.map((rule) => ruleManifest('from', rule)),
      egress: policy.egress?.map((rule) => ruleManifest('to', rule)),
    }),
  }));
}

/**
 * The policies a reconcile deletes (404 ignored): all of them when `disableNetworkPolicies` (:274-285;
 * :295-307 @2.8.1), else the AWS pod identity one when the CR has no role (:291-295), and at 2.8.1 the DNS policy's
 * old name (:311-312 @2.8.1), so that a cluster moved from 1.7.4 keeps one DNS policy.
 */
export function deletedPolicyNames(security: ClusterSecurity | undefined, version: OperatorVersion): string[] {
  const v2 = version === '2.8.1';
  if (security?.disableNetworkPolicies === true)
    return [
      'deny-all',
      ...(v2 ? ['allow-egress-to-dns'] : []),
      'allow-egress-to-kube-dns',
      'allow-restate-egress-to-public-internet',
      'allow-restate-egress-to-aws-pod-identity',
      'allow-restate-egress',
      'allow-ingress-access',
      'allow-admin-access',
      'allow-metrics-access',
    ];
  return [
    ...(v2 ? ['allow-egress-to-kube-dns'] : []),
    ...(security?.awsPodIdentityAssociationRoleArn === undefined ? ['allow-restate-egress-to-aws-pod-identity'] : []),
  ];
}
