import { DEFAULT_CLUSTER_DOMAIN, KUBE_DNS_IP } from './kube-dns';

/** A pod's `spec.dnsConfig`, as Kubernetes takes it. */
export interface PodDnsConfig {
  readonly nameservers?: readonly string[];
  readonly searches?: readonly string[];
  readonly options?: readonly { readonly name: string; readonly value?: string }[];
}

/** How a pod sees DNS: what the kubelet writes into its /etc/resolv.conf and /etc/hosts. */
export interface PodDnsProps {
  /** The pod's namespace. */
  readonly namespace: string;
  /** @default DEFAULT_CLUSTER_DOMAIN */
  readonly clusterDomain?: string;
  /** The cluster DNS Service's IP (kubelet `clusterDNS`). @default KUBE_DNS_IP */
  readonly nameserver?: string;
  /**
   * Search domains of the node's own resolv.conf, which the kubelet appends after the cluster's.
   * @default - none (the sandbox has no node resolver)
   */
  readonly nodeSearches?: readonly string[];
  /** The pod's `spec.dnsConfig` (with `dnsPolicy: ClusterFirst`, the default). @default - none */
  readonly dnsConfig?: PodDnsConfig;
}

/**
 * Search-list limits the kubelet and the API server enforce since Kubernetes 1.28 (ExpandedDNSConfig; 6 domains
 * and 256 characters before). The kubelet drops the domains past them, with a warning event on the pod.
 */
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;

export interface PodResolvConf {
  /** The file's text. */
  readonly text: string;
  readonly nameservers: readonly string[];
  readonly searches: readonly string[];
  /** Search domains the kubelet would drop for the limits above. */
  readonly dropped: readonly string[];
}

/**
 * The /etc/resolv.conf the kubelet writes for a pod with `dnsPolicy: ClusterFirst`
 * (pkg/kubelet/network/dns/dns.go): the cluster DNS as nameserver, the search list
 * `<ns>.svc.<domain> svc.<domain> <domain>` then the node's own search domains, `options ndots:5`; then the pod's
 * `dnsConfig` merged in: nameservers and searches appended (duplicates dropped), options by name (the pod's win).
 * Pure.
 */
export function podResolvConf(props: PodDnsProps): PodResolvConf {
  const domain = props.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const nameservers = unique([props.nameserver ?? KUBE_DNS_IP, ...(props.dnsConfig?.nameservers ?? [])]).slice(0, 3);
  const all = unique([
    `${props.namespace}.svc.${domain}`,
    `svc.${domain}`,
    domain,
    ...(props.nodeSearches ?? []),
    ...(props.dnsConfig?.searches ?? []),
  ]);
  const searches: string[] = [];
  let chars = 0;
  for (const s of all) {
    const next = chars + (searches.length > 0 ? 1 : 0) + s.length;
    if (searches.length >= MAX_DNS_SEARCH_PATHS || next > MAX_DNS_SEARCH_LIST_CHARS) break;
    searches.push(s);
    chars = next;
  }
  const options = new Map<string, string | undefined>([['ndots', '5']]);
  for (const o of props.dnsConfig?.options ?? []) options.set(o.name, o.value);
  const text = [
    ...nameservers.map((n) => `nameserver ${n}`),
    `search ${searches.join(' ')}`,
    `options ${[...options].map(([name, value]) => (value === undefined ? name : `${name}:${value}`)).join(' ')}`,
    '',
  ].join('\n');
  return { text, nameservers, searches, dropped: all.slice(searches.length) };
}

/** The /etc/hosts the kubelet writes for a pod: localhost, and the pod's own name(s) on its IP. Pure. */
export function podHostsFile(pod: { readonly ip: string; readonly hostname: string; readonly fqdn?: string }): string {
  const names = pod.fqdn ? `${pod.fqdn}\t${pod.hostname}` : pod.hostname;
  return [
    '# Kubernetes-managed hosts file (stand-in).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${pod.ip}\t${names}`,
    '',
  ].join('\n');
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list.map((s) => s.replace(/\.$/, '')))];
}
