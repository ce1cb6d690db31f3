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

/** The PrometheusRule's groups as a rule file holds them: the same conversion verify's Prometheus loads. */
export { prometheusRuleGroups, type RuleGroup } from '../../lib/verify/prometheus-config';

/** The objects of a synthesized target folder's monitoring file. */
export function monitoringObjects(targetDir: string): Record<string, any>[] {
  const file = readdirSync(targetDir).find((name) => /^\d{4}-monitoring\.k8s\.yaml$/.test(name));
  if (!file) throw new Error(`no monitoring file in ${targetDir}`);
  return parseAllDocuments(readFileSync(join(targetDir, file), 'utf8')).map((doc) => doc.toJS());
}
