/**
 * Where `npm run import` reads the upstream CRD files, and the checks on what it read: each file's sha256 against
 * scripts/crd-pins.ts, then that it holds the CustomResourceDefinitions the pin names. A failure is a CrdSourceError
 * whose message is one line: the script prints it, never a stack.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { CrdFilePin, CrdModulePin } from './crd-pins';

/** Where the files come from: the pinned upstream URLs, a folder or a mirror (an http(s) URL) laid out as the pins' `file`. */
export type CrdSource = { readonly kind: 'upstream' } | { readonly kind: 'folder' | 'mirror'; readonly at: string };

/** How long a download may take before it counts as failed. */
export const DOWNLOAD_TIMEOUT_MS = 30_000;

/** A failure to read or accept a CRD file, with its cause and what to do. */
export class CrdSourceError extends Error {}

const OFFLINE_HINT = 'Without network access, read a folder of the files instead: npm run import -- --from DIR (see docs/development.md)';

/** A CustomResourceDefinition as far as the import reads it; the rest of the object is kept as it is. */
export interface Crd {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: unknown; readonly annotations?: unknown };
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string; readonly plural: string };
    readonly scope: string;
    readonly versions: ReadonlyArray<{ readonly name: string; readonly served: boolean; readonly storage: boolean }>;
  };
}

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

export function readLocal(path: string): string {
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

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Several upstream files as one: each ends with a newline, and a line `---` separates them. */
function joinDocuments(texts: readonly string[]): string {
  return texts.map((text) => (text.endsWith('\n') ? text : `${text}\n`)).join('---\n');
}

/** The pinned file's text from `source`, refused unless its sha256 is the pinned one. */
export async function readPinnedFile(pin: CrdFilePin, source: CrdSource): Promise<{ readonly text: string; readonly from: string }> {
  let text: string;
  let from: string;
  if (source.kind === 'upstream') {
    text = joinDocuments(await Promise.all(pin.upstream.map(download)));
    from = pin.upstream.join(' + ');
  } else if (source.kind === 'mirror') {
    from = `${source.at.replace(/\/+$/, '')}/${pin.file}`;
    text = await download(from);
  } else {
    from = join(source.at, pin.file);
    text = readLocal(from);
  }
  const actual = sha256(text);
  if (actual !== pin.sha256) {
    throw new CrdSourceError(
      `${from} has sha256 ${actual}, not the ${pin.sha256} that scripts/crd-pins.ts records for it: refused (changed, or another release)`,
    );
  }
  return { text, from };
}

/**
 * The CustomResourceDefinitions in a file's text, checked to be exactly the kinds the pin names, of `group`, each
 * named `<plural>.<group>` with one storage version (the API server refuses anything else).
 */
export function crdsOf(from: string, text: string, group: string, kinds: readonly string[]): Crd[] {
  const docs = parseAllDocuments(text);
  const broken = docs.find((doc) => doc.errors.length > 0);
  if (broken) throw new CrdSourceError(`${from} is not valid YAML: ${broken.errors[0]!.message.split('\n')[0]}`);
  const objects = docs.map((doc) => doc.toJS() as Record<string, any> | null).filter((o) => o !== null);
  return checkCrds(from, objects, group, kinds);
}

/** `objects` as CustomResourceDefinitions, checked as `crdsOf` says. */
export function checkCrds(from: string, objects: readonly Record<string, any>[], group: string, kinds: readonly string[]): Crd[] {
  const held = objects.map((o) => (o.kind === 'CustomResourceDefinition' ? `CRD ${o.spec?.names?.kind}` : String(o.kind)));
  const crds = objects.filter((o) => o.apiVersion === 'apiextensions.k8s.io/v1' && o.kind === 'CustomResourceDefinition');
  if (crds.length !== objects.length || crds.map((crd) => crd.spec?.names?.kind).join() !== kinds.join()) {
    const wanted = kinds.map((kind) => `CRD ${kind}`).join(', ');
    throw new CrdSourceError(`${from} holds ${held.join(', ') || 'nothing'}, not ${wanted} (apiextensions.k8s.io/v1)`);
  }
  for (const crd of crds as Crd[]) {
    const { names, versions } = crd.spec;
    const problem =
      crd.spec.group !== group
        ? `its group is ${crd.spec.group}, not ${group}`
        : crd.metadata?.name !== `${names.plural}.${group}`
          ? `it is named ${crd.metadata?.name}, not ${names.plural}.${group}`
          : versions.filter((version) => version.storage).length !== 1
            ? 'it has not exactly one storage version'
            : undefined;
    if (problem) throw new CrdSourceError(`${from}: the CRD of ${names.kind}: ${problem}`);
  }
  return crds as Crd[];
}

/**
 * Refuses a module of imports/crds/ (its text) whose header does not name every URL and sha256 the pins name now:
 * `--from generated` never reads upstream, so a changed pin is only taken from an upstream file or a folder.
 */
export function checkGeneratedFrom(from: string, text: string, pin: CrdModulePin): void {
  const stale = pin.files.find((file) => !text.includes(`sha256 ${file.sha256}`) || file.upstream.some((url) => !text.includes(url)));
  if (stale) {
    throw new CrdSourceError(
      `${from} was not generated from ${stale.upstream.join(' + ')} with sha256 ${stale.sha256}, as scripts/crd-pins.ts ` +
        'pins it: import from upstream or a folder (--from), not from generated',
    );
  }
}
