import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { HelmRenderError } from './errors';

/** How long `helm template` may take, pulling the chart included. @default 120 */
export const HELM_TIMEOUT_SECONDS = 120;

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface HelmTemplateCall {
  readonly helmExecutable: string;
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly releaseName: string;
  /** Written to a values file passed with `-f`; undefined for the chart's defaults. */
  readonly values?: Record<string, unknown>;
  readonly flags: readonly string[];
  /** Folder for the values file. */
  readonly workdir: string;
  /** @default HELM_TIMEOUT_SECONDS */
  readonly timeoutSeconds?: number;
}

/**
 * Runs `helm template` with the command line cdk8s' `Helm` construct builds (so the same chart renders the same
 * way), but bounded in time, and returns its standard output once it has been checked to be Kubernetes objects.
 */
export function helmTemplate(call: HelmTemplateCall): string {
  const args = ['template'];
  if (call.values) {
    const valuesFile = join(call.workdir, 'overrides.yaml');
    writeFileSync(valuesFile, Yaml.stringify(call.values));
    args.push('-f', valuesFile);
  }
  args.push('--version', call.version, '--namespace', call.namespace, ...call.flags, call.releaseName, call.chart);
  const timeoutSeconds = call.timeoutSeconds ?? HELM_TIMEOUT_SECONDS;
  const what = `helm template ${call.chart} --version ${call.version}`;
  const result = spawnSync(call.helmExecutable, args, {
    maxBuffer: MAX_OUTPUT_BYTES,
    timeout: timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HelmNotFound(call.helmExecutable);
    if (code === 'ETIMEDOUT') {
      throw new HelmRenderError(
        `${what} did not finish within ${timeoutSeconds} s (waiting for helm to pull and render the chart from ${call.chart}); check the registry is reachable`,
      );
    }
    throw new HelmRenderError(`${what} failed: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new HelmRenderError(
      `${what} failed: ${result.stderr.trim() || `exit ${result.status ?? `by signal ${result.signal}`} (no message)`}`,
    );
  }
  const problems = renderedObjectProblems(result.stdout);
  if (problems.length > 0)
    throw new HelmRenderError(`${what} printed output that cannot go into the target folder:\n  ${problems.join('\n  ')}`);
  return result.stdout;
}

/** helm is not installed (or not where `helmExecutable` says). */
export class HelmNotFound extends Error {
  constructor(public readonly program: string) {
    super(`unable to execute '${program}'`);
  }
}

/**
 * Why helm's output is not a stream of Kubernetes objects fit for a reviewed GitOps folder, one reason per line:
 * anything that is not YAML, a document that is not an object with apiVersion, kind and metadata.name, and a
 * Secret with data (a plain-text secret would be committed with the manifests).
 */
export function renderedObjectProblems(text: string): string[] {
  const problems: string[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) problems.push('not YAML documents');
  list.forEach((doc, index) => {
    const where = `document ${index + 1}`;
    if (doc.errors.length > 0) {
      const line = text.slice(0, doc.errors[0].pos[0]).split('\n').length;
      problems.push(`${where} (line ${line}) is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
      return;
    }
    const object: unknown = doc.toJS();
    if (object === null || object === undefined) return;
    const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown }; data?: unknown; stringData?: unknown };
    if (
      typeof object !== 'object' ||
      Array.isArray(object) ||
      typeof o.apiVersion !== 'string' ||
      typeof o.kind !== 'string' ||
      typeof o.metadata?.name !== 'string'
    ) {
      problems.push(`${where} is not a Kubernetes object (apiVersion, kind and metadata.name): ${JSON.stringify(object).slice(0, 80)}`);
      return;
    }
    const hasValues = (map: unknown) => typeof map === 'object' && map !== null && Object.keys(map).length > 0;
    if (o.kind === 'Secret' && (hasValues(o.data) || hasValues(o.stringData))) {
      problems.push(`${where} is Secret ${o.metadata.name} with data in plain text; it would be committed to Git with the manifests`);
    }
  });
  return problems;
}
