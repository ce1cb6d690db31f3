import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { displayPath, type Target, targetDir, ValuesError } from '../values';

/** The target files besides the cluster that verify models (names as synth writes them). */
export const PROVISIONING_FILE = '0002-provisioning.k8s.yaml';
export const MONITORING_FILE = '0003-monitoring.k8s.yaml';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The provisioning Job as synthesized: what its one container runs, with what, where. */
export interface ProvisioningJob {
  readonly file: string;
  readonly name: string;
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** Plain `value` variables (the Job has no others). */
  readonly env: Readonly<Record<string, string>>;
  /** Files the container sees from ConfigMaps of the target: mount path + key → content. */
  readonly files: Readonly<Record<string, string>>;
  /** `spec.template.spec.dnsPolicy` / `dnsConfig` as written. */
  readonly dnsConfig?: Readonly<Record<string, unknown>>;
  readonly dnsPolicy?: string;
  /** `spec.activeDeadlineSeconds`. */
  readonly activeDeadlineSeconds?: number;
}

function documents(file: string): Obj[] {
  const shown = displayPath(file);
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw ValuesError.single(shown, '', `YAML syntax error: ${doc.errors[0].message.split('\n')[0]}`);
    return obj(doc.toJS());
  });
}

/** The target's provisioning Job, when it has one; its ConfigMap volumes resolved to file contents. */
export function readProvisioningJob(distDir: string, target: Target): ProvisioningJob | undefined {
  const file = join(distDir, targetDir(target), PROVISIONING_FILE);
  if (!existsSync(file)) return undefined;
  const shown = displayPath(file);
  const docs = documents(file);
  const jobs = docs.filter((d) => d.kind === 'Job');
  if (jobs.length !== 1) throw ValuesError.single(shown, '', `must hold exactly one Job, found ${jobs.length}`);
  const job = jobs[0];
  const meta = obj(job.metadata);
  const template = obj(obj(job.spec).template);
  const pod = obj(template.spec);
  const containers = Array.isArray(pod.containers) ? pod.containers.map(obj) : [];
  if (containers.length !== 1) throw ValuesError.single(shown, 'spec.template.spec.containers', `verify models a Job with one container, found ${containers.length}`);
  const c = containers[0];
  const configMaps = new Map(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [String(obj(d.metadata).name), obj(d.data)]));
  const volumes = new Map((Array.isArray(pod.volumes) ? pod.volumes.map(obj) : []).map((v) => [String(v.name), v]));
  const files: Record<string, string> = {};
  for (const mount of Array.isArray(c.volumeMounts) ? c.volumeMounts.map(obj) : []) {
    const volume = volumes.get(String(mount.name));
    const cm = volume && isObj(volume.configMap) ? String(volume.configMap.name) : undefined;
    if (cm === undefined) continue;
    const data = configMaps.get(cm);
    if (!data) throw ValuesError.single(shown, `spec.template.spec.volumes.${String(mount.name)}`, `ConfigMap ${cm} is not in this file`);
    for (const [key, content] of Object.entries(data)) files[`${String(mount.mountPath).replace(/\/$/, '')}/${key}`] = String(content);
  }
  const env: Record<string, string> = {};
  for (const e of Array.isArray(c.env) ? c.env.map(obj) : []) {
    if (typeof e.value !== 'string') throw ValuesError.single(shown, `spec.template.spec.containers.0.env.${String(e.name)}`, 'verify models plain values only');
    env[String(e.name)] = e.value;
  }
  return {
    file: shown,
    name: String(meta.name),
    namespace: String(meta.namespace),
    podLabels: Object.fromEntries(Object.entries(obj(obj(template.metadata).labels)).map(([k, v]) => [k, String(v)])),
    image: String(c.image),
    command: strings(c.command),
    args: strings(c.args),
    env,
    files,
    ...(isObj(pod.dnsConfig) ? { dnsConfig: pod.dnsConfig } : {}),
    ...(typeof pod.dnsPolicy === 'string' ? { dnsPolicy: pod.dnsPolicy } : {}),
    ...(typeof obj(job.spec).activeDeadlineSeconds === 'number' ? { activeDeadlineSeconds: obj(job.spec).activeDeadlineSeconds as number } : {}),
  };
}

/** The namespace of the target's PodMonitor (where its Prometheus is taken to run), when it has one. */
export function readPodMonitorNamespace(distDir: string, target: Target): string | undefined {
  const file = join(distDir, targetDir(target), MONITORING_FILE);
  if (!existsSync(file)) return undefined;
  const monitor = documents(file).find((d) => d.kind === 'PodMonitor');
  const namespace = monitor ? obj(monitor.metadata).namespace : undefined;
  return typeof namespace === 'string' ? namespace : undefined;
}
