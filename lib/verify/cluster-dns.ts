import { nodeIp } from './hosts';
import { type KubeDns } from './kube-dns';
import { HEADLESS_SERVICE, podName } from '../target-folder/operator-names';
import { PodView } from './pod-view';
import type { PodDnsConfig } from './pod-dns';

/** The full DNS name of pod `ordinal` of a cluster: `restate-N.restate-cluster.<ns>.svc.<domain>`. */
export function podFqdn(namespace: string, ordinal: number, domain: string): string {
  return `${podName(ordinal)}.${HEADLESS_SERVICE}.${namespace}.svc.${domain}`;
}

/**
 * Registers what the operator's objects give the cluster DNS for a RestateCluster whose namespace is
 * `namespace`: the headless Service `restate-cluster` (it publishes not-ready addresses, so every pod is listed
 * from its start) and each StatefulSet pod `restate-N` (hostname = pod name, subdomain = `restate-cluster`), on
 * the loopback address its local stand-in binds (`nodeIp`). The ClusterIP Service `restate` is not modelled:
 * without kube-proxy there is no virtual IP to give it.
 */
export function registerClusterPods(dns: KubeDns, namespace: string, replicas: number): KubeDns {
  dns.addService({ namespace, name: HEADLESS_SERVICE });
  for (let i = 0; i < replicas; i++) dns.addPod({ namespace, hostname: podName(i), subdomain: HEADLESS_SERVICE, ip: nodeIp(i) });
  return dns;
}

/** The DNS view of pod `restate-N` of the cluster in `namespace` (the operator sets no dnsConfig by default). */
export function clusterPodView(dns: KubeDns, namespace: string, ordinal: number, dir: string, dnsConfig?: PodDnsConfig): PodView {
  return new PodView({
    id: `${namespace}.${podName(ordinal)}`,
    dir,
    namespace,
    clusterDomain: dns.domain,
    nameserver: dns.ip,
    ip: nodeIp(ordinal),
    hostname: podName(ordinal),
    fqdn: podFqdn(namespace, ordinal, dns.domain),
    dnsConfig,
  });
}
