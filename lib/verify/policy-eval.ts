import type { LabelSelector, NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule } from '../operator-part/network-policies';

/** A pod as NetworkPolicies see it: its namespace, labels, cluster address and named container ports. */
export interface PolicyPod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod's in-cluster IPv4 address (what ipBlock peers match). */
  readonly podIp: string;
  /** Container ports by name, for policies that name a port. @default {} */
  readonly namedPorts?: Readonly<Record<string, number>>;
}

export type Protocol = 'TCP' | 'UDP';

/** Kubernetes' label selector semantics; an empty selector selects everything. */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(value))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(value)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Every namespace carries `kubernetes.io/metadata.name` (Kubernetes 1.21+); the model adds no others. */
export function namespaceLabels(namespace: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespace };
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = Number(bits);
  const mask = size === 0 ? 0 : Math.floor(2 ** 32 - 2 ** (32 - size));
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

/** Whether `peer`, written in a policy of `policyNamespace`, matches `pod`. */
function peerMatches(peer: PolicyPeer, policyNamespace: string, pod: PolicyPod): boolean {
  if (peer.ipBlock) return inCidr(pod.podIp, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(pod.podIp, c));
  if (peer.namespaceSelector === undefined && peer.podSelector === undefined) return false;
  const inNamespace =
    peer.namespaceSelector === undefined
      ? pod.namespace === policyNamespace
      : selects(peer.namespaceSelector, namespaceLabels(pod.namespace));
  return inNamespace && (peer.podSelector === undefined || selects(peer.podSelector, pod.labels));
}

function portMatches(p: PolicyPort, port: number, protocol: Protocol, target: PolicyPod): boolean {
  if ((p.protocol ?? 'TCP') !== protocol) return false;
  if (p.port === undefined) return true;
  const number = typeof p.port === 'number' ? p.port : target.namedPorts?.[p.port];
  if (number === undefined) return false;
  return p.endPort === undefined ? number === port : port >= number && port <= p.endPort;
}

function ruleAllows(
  rule: PolicyRule,
  policyNamespace: string,
  peer: PolicyPod,
  port: number,
  protocol: Protocol,
  target: PolicyPod,
): boolean {
  const peerOk = rule.peers === undefined || rule.peers.length === 0 || rule.peers.some((p) => peerMatches(p, policyNamespace, peer));
  const portOk = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, port, protocol, target));
  return peerOk && portOk;
}

/** The verdict on one direction: whether the pod is isolated in it and, if so, which policy admitted the connection. */
export interface DirectionVerdict {
  readonly isolated: boolean;
  readonly allowed: boolean;
  readonly by?: string;
}

function direction(
  policies: readonly NetworkPolicy[],
  kind: 'Ingress' | 'Egress',
  pod: PolicyPod,
  peer: PolicyPod,
  port: number,
  protocol: Protocol,
): DirectionVerdict {
  const applying = policies.filter(
    (p) => p.namespace === pod.namespace && p.policyTypes.includes(kind) && selects(p.podSelector, pod.labels),
  );
  if (applying.length === 0) return { isolated: false, allowed: true };
  // Ingress ports are the target's (this pod's); egress ports are the peer's.
  const target = kind === 'Ingress' ? pod : peer;
  for (const policy of applying) {
    const rules = (kind === 'Ingress' ? policy.ingress : policy.egress) ?? [];
    if (rules.some((r) => ruleAllows(r, policy.namespace, peer, port, protocol, target)))
      return { isolated: true, allowed: true, by: policy.name };
  }
  return { isolated: true, allowed: false };
}

export interface ConnectionVerdict {
  readonly allowed: boolean;
  readonly egress: DirectionVerdict;
  readonly ingress: DirectionVerdict;
}

/** Kubernetes' rule: a connection needs the source's egress and the destination's ingress to allow it. */
export function connectionAllowed(
  policies: readonly NetworkPolicy[],
  from: PolicyPod,
  to: PolicyPod,
  port: number,
  protocol: Protocol = 'TCP',
): ConnectionVerdict {
  const egress = direction(policies, 'Egress', from, to, port, protocol);
  const ingress = direction(policies, 'Ingress', to, from, port, protocol);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}
