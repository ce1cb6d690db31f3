import { parseAllDocuments } from 'yaml';
import { ManifestError } from '../target-folder/manifest-error';
import type { PodDnsConfig } from './pod-dns';

/** What verify runs of a synthesized Job: its one container as shipped, and the pod settings that matter here. */
export interface JobUnderTest {
  /** The manifest file it was read from, for messages. */
  readonly file: string;
  readonly name: string;
  readonly namespace: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** Literal `env` entries, in order. */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** The container's mounts, each with what the pod volume holds. */
  readonly mounts: readonly JobMount[];
  readonly dnsPolicy: string;
  readonly dnsConfig?: PodDnsConfig;
}

export interface JobMount {
  readonly mountPath: string;
  /** A ConfigMap's data (file name → text), or undefined for an emptyDir. */
  readonly files?: Readonly<Record<string, string>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : []);

/**
 * Reads the one Job of a manifest text (one container; literal env only; ConfigMap and emptyDir volumes, the
 * ConfigMaps taken from the same text). Problems name the file and the key path.
 */
export function parseJobManifest(text: string, file: string): JobUnderTest {
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter(isObj);
  const jobs = docs.filter((d) => d.kind === 'Job' && d.apiVersion === 'batch/v1');
  if (jobs.length !== 1) throw new ManifestError(file, '', `must hold exactly one Job (batch/v1), found ${jobs.length}`);
  const job = jobs[0];
  const metadata = isObj(job.metadata) ? job.metadata : {};
  const name = String(metadata.name ?? '');
  const namespace = String(metadata.namespace ?? '');
  const pod = isObj(job.spec) && isObj(job.spec.template) && isObj(job.spec.template.spec) ? job.spec.template.spec : {};
  const containers = Array.isArray(pod.containers) ? pod.containers.filter(isObj) : [];
  if (containers.length !== 1)
    throw new ManifestError(file, 'spec.template.spec.containers', `must hold one container, found ${containers.length}`);
  const container = containers[0];
  const at = (key: string) => `spec.template.spec.containers.0.${key}`;
  const env = (Array.isArray(container.env) ? container.env : []).map((e: unknown, i: number) => {
    if (!isObj(e) || typeof e.name !== 'string' || typeof e.value !== 'string')
      throw new ManifestError(file, at(`env.${i}`), 'verify runs literal env values only');
    return { name: e.name, value: e.value };
  });
  const configMaps = new Map(
    docs
      .filter((d) => d.kind === 'ConfigMap' && isObj(d.metadata) && d.metadata.namespace === namespace)
      .map((d) => [String((d.metadata as Obj).name), (isObj(d.data) ? d.data : {}) as Record<string, string>]),
  );
  const volumes = new Map((Array.isArray(pod.volumes) ? pod.volumes.filter(isObj) : []).map((v) => [String(v.name), v]));
  const mounts = (Array.isArray(container.volumeMounts) ? container.volumeMounts.filter(isObj) : []).map((m, i): JobMount => {
    const volume = volumes.get(String(m.name));
    const mountPath = String(m.mountPath);
    if (volume && isObj(volume.emptyDir)) return { mountPath };
    if (volume && isObj(volume.configMap)) {
      const files = configMaps.get(String(volume.configMap.name));
      if (!files)
        throw new ManifestError(file, at(`volumeMounts.${i}`), `ConfigMap "${String(volume.configMap.name)}" is not in this file`);
      return { mountPath, files };
    }
    throw new ManifestError(file, at(`volumeMounts.${i}`), `volume "${String(m.name)}" is neither a ConfigMap nor an emptyDir`);
  });
  const dnsConfig = isObj(pod.dnsConfig) ? (pod.dnsConfig as PodDnsConfig) : undefined;
  return {
    file,
    name,
    namespace,
    command: strings(container.command),
    args: strings(container.args),
    env,
    mounts,
    dnsPolicy: typeof pod.dnsPolicy === 'string' ? pod.dnsPolicy : 'ClusterFirst',
    ...(dnsConfig ? { dnsConfig } : {}),
  };
}
