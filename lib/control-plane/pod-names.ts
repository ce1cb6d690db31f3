/**
 * What a pod's resolver answers for the cluster's names, as an /etc/hosts file per namespace, fed from the
 * EndpointSlices (the kube-dns stand-in of ./podlet.ts). Derived from the DNS schema CoreDNS's kubernetes plugin
 * serves (kubernetes/dns `docs/specification.md`): a headless Service's name answers every ready endpoint address,
 * `<hostname>.<service>` answers the endpoint with that hostname (the StatefulSet pod's `spec.hostname` under its
 * `subdomain`, which the EndpointSlice controller copies into `endpoints[].hostname`); and the kubelet's resolv.conf
 * search path (`<ns>.svc.cluster.local svc.cluster.local cluster.local`, kubernetes v1.37.2
 * `pkg/kubelet/network/dns/dns.go`) is spelled out as the shorter names, for the pod's own namespace only.
 *
 * Left unproven: Services with a ClusterIP (no kube-proxy runs: they are not listed, so they do not resolve), SRV,
 * AAAA and ExternalName records, a pod's `dnsConfig` (its extra search domains are not read: a short name resolves in
 * the pod's own namespace only), the search path through the node's own resolv.conf, DNS over the network and its
 * caching; a name's answer changes when the file is rewritten (each pass of the podlet), not per query.
 */
import type { Obj } from './api-client';

export const CLUSTER_DOMAIN = 'cluster.local';

/** The hosts file the pods of `namespace` read, from every Service and EndpointSlice of the cluster. */
export function hostsFile(namespace: string, services: readonly Obj[], slices: readonly Obj[]): string {
  const headless = new Set(services.filter((s) => s.spec.clusterIP === 'None').map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  const names = new Map<string, Set<string>>();
  const add = (address: string, name: string, ns: string) => {
    const forms = [`${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.${CLUSTER_DOMAIN}`, ...(ns === namespace ? [name] : [])];
    const set = names.get(address) ?? new Set<string>();
    for (const form of forms) set.add(form);
    names.set(address, set);
  };
  const lines: string[] = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  const ordered = [...slices].sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
  const serviceLines: string[] = [];
  for (const slice of ordered) {
    const service = slice.metadata.labels?.['kubernetes.io/service-name'];
    const ns = slice.metadata.namespace;
    if (!service || !headless.has(`${ns}/${service}`) || slice.addressType !== 'IPv4') continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) {
        if (endpoint.hostname) add(address, `${endpoint.hostname}.${service}`, ns);
        const forms = [`${service}.${ns}`, `${service}.${ns}.svc`, `${service}.${ns}.svc.${CLUSTER_DOMAIN}`];
        serviceLines.push(`${address}\t${[...(ns === namespace ? [service] : []), ...forms].join(' ')}`);
      }
    }
  }
  for (const [address, set] of [...names].sort(([a], [b]) => a.localeCompare(b))) lines.push(`${address}\t${[...set].join(' ')}`);
  return `${[...lines, ...serviceLines].join('\n')}\n`;
}
