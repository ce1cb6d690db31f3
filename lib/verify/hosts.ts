import { RESTATE_SERVICE_IP } from './cluster-service';
import { HEADLESS_SERVICE, podHost } from '../target-folder/operator-names';

/** Loopback address of the local stand-in for pod `ordinal`: 127.0.0.1, 127.0.0.2, … */
export function nodeIp(ordinal: number): string {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal > 253) throw new RangeError(`node ordinal ${ordinal} is outside 0..253`);
  return `127.0.0.${ordinal + 1}`;
}

/**
 * An /etc/hosts for a loopback-only namespace in which the cluster's DNS names resolve as in its Kubernetes
 * namespace: `restate-N.restate-cluster` (and the longer `.<ns>.svc[.cluster.local]` forms) to the node's own
 * loopback address, the headless Service `restate-cluster` to every node, in ordinal order (its DNS answer
 * lists every pod, ready or not), and the ClusterIP Service `restate` to its virtual IP, which the Service
 * model (cluster-service.ts) forwards to the Ready pods only.
 */
export function clusterHostsFile(replicas: number, namespace: string): string {
  const suffixes = ['', `.${namespace}`, `.${namespace}.svc`, `.${namespace}.svc.cluster.local`];
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (let i = 0; i < replicas; i++) lines.push(`${nodeIp(i)}\t${suffixes.map((s) => podHost(i) + s).join(' ')}`);
  for (let i = 0; i < replicas; i++) lines.push(`${nodeIp(i)}\t${suffixes.map((s) => HEADLESS_SERVICE + s).join(' ')}`);
  lines.push(`${RESTATE_SERVICE_IP}\t${suffixes.map((s) => `restate${s}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
