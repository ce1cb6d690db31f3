import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Runs promtool (Debian's `prometheus` package ships it; .ci/run installs it). A missing promtool fails the test
 * with what to install: the alerts are only proven where promtool runs.
 */
export function promtool(args: readonly string[], cwd: string): { status: number; output: string } {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error("promtool is not installed: install Debian's prometheus package (apt-get install prometheus), as .ci/run does");
  }
  if (result.error) throw result.error;
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** A rule group as a Prometheus rule file holds it. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: ReadonlyArray<{
    readonly alert: string;
    readonly expr: string;
    readonly for?: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  }>;
}

/** The `spec.groups` of the one PrometheusRule among manifests. */
export function prometheusRuleGroups(objects: ReadonlyArray<Record<string, any>>): RuleGroup[] {
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`expected one PrometheusRule, found ${rules.length}`);
  return rules[0]!.spec.groups;
}

/** The objects of a synthesized target folder's monitoring file. */
export function monitoringObjects(targetDir: string): Record<string, any>[] {
  const file = readdirSync(targetDir).find((name) => /^\d{4}-monitoring\.k8s\.yaml$/.test(name));
  if (!file) throw new Error(`no monitoring file in ${targetDir}`);
  return parseAllDocuments(readFileSync(join(targetDir, file), 'utf8')).map((doc) => doc.toJS());
}
