import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { displayPath, type Target, targetDir } from '../values';
import { ChartIds, type ChartId } from '../target-folder/charts';
import { listTargetFiles } from '../target-folder/files';
import { type JobUnderTest, parseJobManifest } from './job-spec';
import { ManifestError } from '../target-folder/manifest-error';
import { podMonitorSpec, prometheusRuleGroups } from './prometheus-config';
import type { TargetMonitoring } from './prometheus-pod';

/** The target's file of a chart besides the cluster that verify models, when the target has that chart. */
function chartFile(distDir: string, target: Target, chart: ChartId): string | undefined {
  const folder = join(distDir, targetDir(target));
  return existsSync(folder) ? listTargetFiles(folder).byChart.get(chart) : undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** The provisioning Job as synthesized (job-spec.ts), with the labels of its pods, which the policies select. */
export type ProvisioningJob = JobUnderTest & { readonly podLabels: Readonly<Record<string, string>> };

function documents(file: string): Obj[] {
  const shown = displayPath(file);
  return parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new ManifestError(shown, '', `YAML syntax error: ${doc.errors[0].message.split('\n')[0]}`);
    return obj(doc.toJS());
  });
}

/** The target's provisioning Job, when it has one. */
export function readProvisioningJob(distDir: string, target: Target): ProvisioningJob | undefined {
  const file = chartFile(distDir, target, ChartIds.PROVISIONING);
  if (file === undefined) return undefined;
  const shown = displayPath(file);
  const job = parseJobManifest(readFileSync(file, 'utf8'), shown);
  const raw = documents(file).find((d) => d.kind === 'Job');
  const labels = obj(obj(obj(obj(raw?.spec).template).metadata).labels);
  return { ...job, podLabels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])) };
}

/**
 * The target's PodMonitor (its namespace is where its Prometheus is taken to run) and its PrometheusRule's groups
 * (none when it ships no PrometheusRule), when it has a PodMonitor.
 */
export function readMonitoring(distDir: string, target: Target): TargetMonitoring | undefined {
  const file = chartFile(distDir, target, ChartIds.MONITORING);
  if (file === undefined) return undefined;
  const objects = documents(file);
  const monitor = objects.find((d) => d.kind === 'PodMonitor');
  if (!monitor || typeof obj(monitor.metadata).namespace !== 'string') return undefined;
  const hasRules = objects.some((d) => d.kind === 'PrometheusRule');
  return { podMonitor: podMonitorSpec(monitor), ruleGroups: hasRules ? prometheusRuleGroups(objects) : [] };
}
