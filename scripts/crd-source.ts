/**
 * Where `npm run import` reads the operator's RestateCluster CRD, and why it could not: the upstream file at the
 * pinned tag by default (a fresh clone has nothing else), a local file or another URL with `--from`.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

/** The CRD in the operator's repository at the tag of the pinned chart (the chart's `crds/` holds the same file). */
export function upstreamCrdUrl(operatorVersion: string): string {
  return `https://raw.githubusercontent.com/restatedev/restate-operator/v${operatorVersion}/crd/restateclusters.yaml`;
}

/** How long a download may take before it counts as failed. */
export const DOWNLOAD_TIMEOUT_MS = 30_000;

/** A failure to read the CRD, with its cause and what to do; the script prints the message, never a stack. */
export class CrdSourceError extends Error {}

const OFFLINE_HINT = 'Without network access, pass a local copy of the file: npm run import -- --from PATH/restateclusters.yaml';

/** The innermost cause of a failed fetch (undici wraps it: `fetch failed` ◄ `getaddrinfo ENOTFOUND …`). */
function causeOf(error: unknown): string {
  let at: unknown = error;
  const parts: string[] = [];
  for (let depth = 0; at instanceof Error && depth < 5; depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    parts.push(code && !at.message.includes(code) ? `${at.message} (${code})` : at.message);
    at = (at as Error & { cause?: unknown }).cause;
  }
  return parts.filter((part) => part !== 'fetch failed').join(': ') || String(error);
}

async function download(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new CrdSourceError(
      `could not download ${url}: ${timedOut ? `no answer within ${DOWNLOAD_TIMEOUT_MS / 1000} s` : causeOf(error)}. ${OFFLINE_HINT}`,
    );
  }
  if (!response.ok) {
    const hint = response.status === 404 ? ' (is the tag or the path right?)' : '';
    throw new CrdSourceError(`could not download ${url}: HTTP ${response.status} ${response.statusText}${hint}. ${OFFLINE_HINT}`);
  }
  return response.text();
}

function readLocal(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'EACCES'
            ? 'not readable (permission denied)'
            : causeOf(error);
    throw new CrdSourceError(`could not read ${path}: ${why}`);
  }
}

/** The CustomResourceDefinition of kind RestateCluster in a source's text, or an error saying what the source holds. */
export function restateClusterCrd(source: string, text: string): Record<string, any> {
  const docs = parseAllDocuments(text);
  const broken = docs.find((doc) => doc.errors.length > 0);
  if (broken) throw new CrdSourceError(`${source} is not valid YAML: ${broken.errors[0]!.message.split('\n')[0]}`);
  const objects = docs.map((doc) => doc.toJS() as Record<string, any> | null);
  const crd = objects.find((o) => o?.kind === 'CustomResourceDefinition' && o.spec?.names?.kind === 'RestateCluster');
  if (!crd) {
    const kinds = objects.map((o) => (o?.kind === 'CustomResourceDefinition' ? `CRD ${o.spec?.names?.kind}` : o?.kind)).filter(Boolean);
    throw new CrdSourceError(
      `${source} does not hold the RestateCluster CustomResourceDefinition (it holds: ${kinds.join(', ') || 'nothing'})`,
    );
  }
  return crd;
}

/** Reads a source: an http(s) URL is downloaded, anything else is a local file. */
export async function readCrdSource(source: string): Promise<string> {
  return /^https?:\/\//.test(source) ? download(source) : readLocal(source);
}
