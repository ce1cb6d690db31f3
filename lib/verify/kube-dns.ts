import { createSocket, type Socket } from 'node:dgram';
import { DnsRcode, DnsType, encodeResponse, parseQuery } from './dns-wire';

/** The cluster DNS domain Kubernetes uses unless the cluster was set up otherwise (kubelet `clusterDomain`). */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * Where the stand-in for the kube-dns Service listens: its "ClusterIP", on port 53 as in a cluster (resolv.conf
 * cannot name a port). Loopback, apart from the nodes' 127.0.0.N and the S3 stand-in's 127.0.0.200.
 */
export const KUBE_DNS_IP = '127.0.1.53';

/** A Service: a ClusterIP one answers with its ClusterIP, a headless one (no ClusterIP) with its pods' IPs. */
export interface DnsService {
  readonly namespace: string;
  readonly name: string;
  /** @default - headless: the IPs of the pods registered with this Service as `subdomain`, in order */
  readonly clusterIp?: string;
}

/** A pod with `hostname` and `subdomain` (a StatefulSet pod: hostname = pod name, subdomain = serviceName). */
export interface DnsPod {
  readonly namespace: string;
  readonly hostname: string;
  /** The headless Service that gives the pod its name `<hostname>.<subdomain>.<ns>.svc.<domain>`. */
  readonly subdomain: string;
  readonly ip: string;
}

export interface KubeDnsProps {
  /** @default DEFAULT_CLUSTER_DOMAIN */
  readonly domain?: string;
  /** @default KUBE_DNS_IP */
  readonly ip?: string;
  /** 0 picks a free port (tests; resolv.conf can only name port 53). @default 53 */
  readonly port?: number;
}

/** What the stand-in answers for one name and type. */
export interface DnsLookup {
  readonly rcode: number;
  readonly addresses: readonly string[];
}

const lower = (s: string): string => s.toLowerCase().replace(/\.$/, '');

/**
 * A stand-in for the cluster DNS (kube-dns / CoreDNS's `kubernetes` plugin) inside the loopback-only sandbox.
 * It answers A queries as the DNS specification for Services and Pods says
 * (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/):
 * `<svc>.<ns>.svc.<domain>` (the ClusterIP, or for a headless Service every registered pod) and
 * `<hostname>.<subdomain>.<ns>.svc.<domain>` (the pod). Every other name is NXDOMAIN (a cluster would forward
 * names outside its domain upstream; the sandbox has no upstream). AAAA queries of a known name get an empty
 * NOERROR answer (IPv4-only cluster). Only full names are known: search lists are the resolver's business,
 * which is the point: a client finds short names only through its own resolv.conf, as in a pod.
 */
export class KubeDns {
  public readonly domain: string;
  public readonly ip: string;
  private requestedPort: number;
  private readonly services: DnsService[] = [];
  private readonly pods: DnsPod[] = [];
  private socket?: Socket;
  /** Every name asked for, in order (lower case), for tests and failure messages. */
  public readonly queries: string[] = [];

  constructor(props: KubeDnsProps = {}) {
    this.domain = lower(props.domain ?? DEFAULT_CLUSTER_DOMAIN);
    this.ip = props.ip ?? KUBE_DNS_IP;
    this.requestedPort = props.port ?? 53;
  }

  /** The UDP port it answers on (the bound one, once started). */
  get port(): number {
    return this.requestedPort;
  }

  addService(service: DnsService): this {
    this.services.push(service);
    return this;
  }

  addPod(pod: DnsPod): this {
    this.pods.push(pod);
    return this;
  }

  /** The IPv4 addresses of a full name, or undefined when no such name exists. Pure. */
  resolve(name: string): readonly string[] | undefined {
    const n = lower(name);
    const zone = `.svc.${this.domain}`;
    if (!n.endsWith(zone)) return undefined;
    const parts = n.slice(0, -zone.length).split('.');
    if (parts.length === 2) {
      const [svc, ns] = parts;
      const service = this.services.find((s) => lower(s.name) === svc && lower(s.namespace) === ns);
      if (!service) return undefined;
      if (service.clusterIp !== undefined) return [service.clusterIp];
      const members = this.pods.filter((p) => lower(p.namespace) === ns && lower(p.subdomain) === svc).map((p) => p.ip);
      return members.length > 0 ? members : undefined;
    }
    if (parts.length === 3) {
      const [hostname, subdomain, ns] = parts;
      const headless = this.services.some((s) => lower(s.name) === subdomain && lower(s.namespace) === ns && s.clusterIp === undefined);
      const pod = this.pods.find((p) => lower(p.hostname) === hostname && lower(p.subdomain) === subdomain && lower(p.namespace) === ns);
      // A pod's own name exists only while a headless Service of its subdomain does.
      return headless && pod ? [pod.ip] : undefined;
    }
    return undefined;
  }

  /** The answer to a query of `type` for `name`. Pure. */
  lookup(name: string, type: number): DnsLookup {
    const addresses = this.resolve(name);
    if (addresses === undefined) return { rcode: DnsRcode.NXDOMAIN, addresses: [] };
    return { rcode: DnsRcode.NOERROR, addresses: type === DnsType.A ? addresses : [] };
  }

  /** Starts answering on `ip:port` (UDP). */
  async start(): Promise<void> {
    if (this.socket) return;
    const socket = createSocket('udp4');
    socket.on('message', (packet, peer) => {
      const question = parseQuery(packet);
      if (!question) return;
      this.queries.push(question.name);
      const { rcode, addresses } =
        question.qclass === 1 ? this.lookup(question.name, question.type) : { rcode: DnsRcode.NOTIMP, addresses: [] };
      socket.send(encodeResponse(question, rcode, addresses), peer.port, peer.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.ip, port: this.requestedPort, exclusive: true }, () => {
        socket.off('error', reject);
        this.requestedPort = socket.address().port;
        resolve();
      });
    });
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** For clean-up steps that cannot wait. */
  stopSync(): void {
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = undefined;
  }
}
