import * as TOML from '@iarna/toml';
import { isRecord, parseManifest, RESTATE_CLUSTER_KIND } from '../target/restate-cluster';
import { SOPS_SECRET_FILE } from '../target/files';
import { ManifestError } from '../target/manifest-error';

/** What names one Kubernetes object. */
export interface ObjectId {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** One object of a target, with the file it is in. */
export interface ManifestEntry {
  readonly id: ObjectId;
  readonly file: string;
  readonly object: Readonly<Record<string, any>>;
}

/**
 * One field that differs. `path` is dotted (`spec.compute.image`), keys that are not plain words are quoted
 * (`metadata.annotations["argocd.argoproj.io/sync-wave"]`), list items are `[i]`, and keys of the RestateCluster's
 * TOML server config follow a `#` (`spec.config#default-replication`). `before`/`after` are absent when the field
 * is; `opaque` when the contents are not compared (SOPS-encrypted).
 */
export interface FieldChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly opaque?: true;
}

export interface ObjectChange {
  readonly id: ObjectId;
  /** The file it is in after the change (before, for a removed object). */
  readonly file: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** For `changed`: every field that differs, in key order. */
  readonly fields: readonly FieldChange[];
  readonly before?: Readonly<Record<string, any>>;
  readonly after?: Readonly<Record<string, any>>;
}

export function objectKey(id: ObjectId): string {
  return `${id.apiVersion}/${id.kind}/${id.namespace ?? ''}/${id.name}`;
}

/** `RestateCluster restate-dev`, `Job restate-operator/restate-dev-provision`. */
export function objectLabel(id: ObjectId): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

/**
 * The objects of a target's files (`label` names where they were read, for errors: `HEAD:dist/dev/vultr`). A file
 * that is not valid YAML or holds conflict markers is an error naming it: a plan that cannot read what it
 * compares with must not say "unchanged".
 */
export function manifestEntries(label: string, files: ReadonlyMap<string, string>): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  for (const [file, text] of files) {
    const fail = (message: string): never => {
      throw new ManifestError(
        `${label}/${file}`,
        '',
        `${message}; plan cannot compare with it. Fix the committed file (resolve the merge, or re-run synth on the base branch)`,
      );
    };
    if (/^(<{7}|={7}|>{7})( |$)/m.test(text)) fail('holds merge conflict markers');
    const manifest = parseManifest(text);
    if (manifest.yamlError !== undefined) fail(`is not valid YAML (${manifest.yamlError})`);
    for (const object of manifest.objects) {
      if (object === null || object === undefined) continue;
      if (!isRecord(object) || typeof object.kind !== 'string' || !isRecord(object.metadata) || typeof object.metadata.name !== 'string') {
        fail('holds a document that is not a Kubernetes object (kind and metadata.name)');
      }
      const o = object as Record<string, any>;
      const id: ObjectId = {
        apiVersion: String(o.apiVersion ?? ''),
        kind: o.kind,
        ...(typeof o.metadata.namespace === 'string' ? { namespace: o.metadata.namespace } : {}),
        name: o.metadata.name,
      };
      entries.push({ id, file, object: o });
    }
  }
  return entries;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every field that differs between `a` and `b`, mappings key by key, lists item by item when their lengths agree. */
export function fieldChanges(a: unknown, b: unknown, path = ''): FieldChange[] {
  if (same(a, b)) return [];
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => fieldChanges(a[key], b[key], keyPath(path, key)));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((item, index) => fieldChanges(item, b[index], `${path}[${index}]`));
  }
  return [{ path, ...(a === undefined ? {} : { before: a }), ...(b === undefined ? {} : { after: b }) }];
}

function tomlOf(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Field changes of one object; a RestateCluster's server config is compared key by key of its TOML. */
function objectFieldChanges(kind: string, file: string, before: Record<string, any>, after: Record<string, any>): FieldChange[] {
  if (file === SOPS_SECRET_FILE) return same(before, after) ? [] : [{ path: '(SOPS-encrypted contents)', opaque: true }];
  if (kind !== RESTATE_CLUSTER_KIND) return fieldChanges(before, after);
  const [configBefore, configAfter] = [tomlOf(before.spec?.config), tomlOf(after.spec?.config)];
  if (!configBefore || !configAfter) return fieldChanges(before, after);
  const strip = (o: Record<string, any>) => ({ ...o, spec: { ...o.spec, config: undefined } });
  const config = fieldChanges(configBefore, configAfter).map((change) => ({ ...change, path: `spec.config#${change.path}` }));
  // A comment or layout change of the TOML still changes the ConfigMap (and so the pods): say so.
  if (config.length === 0 && before.spec.config !== after.spec.config)
    config.push({ path: 'spec.config', before: '(text)', after: '(same keys, other text)' });
  return [...fieldChanges(strip(before), strip(after)), ...config].sort((x, y) => x.path.localeCompare(y.path));
}

/** The objects added, removed and changed from `before` to `after`, in the order of `after` (removed ones last). */
export function diffObjects(before: readonly ManifestEntry[], after: readonly ManifestEntry[]): ObjectChange[] {
  const old = new Map(before.map((entry) => [objectKey(entry.id), entry]));
  const changes: ObjectChange[] = [];
  for (const entry of after) {
    const previous = old.get(objectKey(entry.id));
    old.delete(objectKey(entry.id));
    if (!previous) {
      changes.push({ id: entry.id, file: entry.file, change: 'added', fields: [], after: entry.object });
      continue;
    }
    const fields = objectFieldChanges(entry.id.kind, entry.file, previous.object, entry.object);
    if (fields.length > 0)
      changes.push({ id: entry.id, file: entry.file, change: 'changed', fields, before: previous.object, after: entry.object });
  }
  for (const entry of old.values()) changes.push({ id: entry.id, file: entry.file, change: 'removed', fields: [], before: entry.object });
  return changes;
}
