import * as restate from '../../imports/operator-1.7.4/restate.dev';
import type { NetworkPeer } from './cluster';
import type { StackValues } from '../values';

export type EgressRule = restate.RestateClusterSpecSecurityNetworkEgressRules;
type EgressTarget = NonNullable<StackValues['tracing']['collector']>;

const PRIVATE_RANGES: ReadonlyArray<[number, number]> = [
  [0x0a000000, 8], // 10.0.0.0/8
  [0xac100000, 12], // 172.16.0.0/12
  [0xc0a80000, 16], // 192.168.0.0/16
];

function ipv4(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Whether a host is an IPv4 address in a private range, which the operator's public-egress policy excludes. */
export function isPrivateIPv4(host: string): boolean {
  const ip = ipv4(host);
  return (
    ip !== undefined && PRIVATE_RANGES.some(([base, bits]) => Math.floor(ip / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)))
  );
}

function peerOf(target: EgressTarget): restate.RestateClusterSpecSecurityNetworkEgressRulesTo {
  return 'cidr' in target
    ? { ipBlock: { cidr: target.cidr } }
    : {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target.namespace } },
        podSelector: { matchLabels: { ...target.podLabels } },
      };
}

function rule(target: EgressTarget, port: number): EgressRule {
  return {
    to: [peerOf(target)],
    ports: [{ port: restate.RestateClusterSpecSecurityNetworkEgressRulesPortsPort.fromNumber(port), protocol: 'TCP' }],
  };
}

/** host and port of `http(s)://host[:port]/…`, the port defaulting by scheme. */
function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : parsed.protocol === 'http:' ? 80 : 443 };
}

/**
 * Egress the Restate pods need beyond what the operator allows by default (DNS, each other, and the public
 * internet minus private ranges): the object store when it runs in the cluster or on a private range, and the
 * trace collector.
 */
export function egressRules(values: StackValues): EgressRule[] {
  const rules: EgressRule[] = [];
  const storage = values.objectStorage;
  const usesStore = values.snapshots.enabled || values.metadata.store === 'object-store';
  if (usesStore && storage?.s3Hostname) {
    const { host, port } = hostPort(`${storage.allowHttp ? 'http' : 'https'}://${storage.s3Hostname}`);
    const target: EgressTarget | undefined = storage.egressTo ?? (isPrivateIPv4(host) ? { cidr: `${host}/32` } : undefined);
    if (target) rules.push(rule(target, port));
  }
  if (values.tracing.endpoint) {
    const { host, port } = hostPort(values.tracing.endpoint);
    const target: EgressTarget | undefined = values.tracing.collector ?? (isPrivateIPv4(host) ? { cidr: `${host}/32` } : undefined);
    if (target) rules.push(rule(target, port));
  }
  return rules;
}

/** The Prometheus pods, admitted to the fabric port 5122 (which serves /metrics) when metrics are on. */
export function metricsPeers(values: StackValues): NetworkPeer[] {
  if (!values.metrics.enabled) return [];
  const { namespace, podLabels } = values.metrics.prometheus;
  return [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
      podSelector: { matchLabels: { ...podLabels } },
    },
  ];
}
