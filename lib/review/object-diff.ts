import * as TOML from '@iarna/toml';
import { isRecord, parseManifest, RESTATE_CLUSTER_KIND } from '../target-folder/restate-cluster';
import { SOPS_SECRET_FILE } from '../target-folder/files';
import { ManifestError } from '../target-folder/manifest-error';

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
  /**
   * In a command line (a list of strings that starts with a `--flag`, such as a container's `args`): the flag whose
   * value this is (`--ensure-replication`). `path` is then the value's item (`args[5]`, in the list that has it),
   * `before`/`after` the values (a flag without a value stands for itself).
   */
  readonly flag?: string;
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
      // A kustomize file of the Flux entry (flux/…/kustomization.yaml) is read by Flux's kustomize-controller, never
      // applied: it has no metadata.name, so the file's path names it.
      if (isRecord(object) && String(object.apiVersion ?? '').startsWith('kustomize.config.k8s.io/')) {
        entries.push({ id: { apiVersion: String(object.apiVersion), kind: String(object.kind), name: file }, file, object });
        continue;
      }
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

/** One `--flag` of a command line: its value (the flag itself when it has none) and the item that holds it. */
interface FlagValue {
  readonly value: string;
  readonly index: number;
}

/**
 * A list as a command line of flags: `--name value`, `--name=value` or a bare `--name`, each flag once. Undefined
 * for anything else (a list that is not all strings, does not start with a flag, or repeats one), which is then
 * compared item by item.
 */
function commandLineFlags(list: readonly unknown[]): Map<string, FlagValue> | undefined {
  const flags = new Map<string, FlagValue>();
  let i = 0;
  while (i < list.length) {
    const item = list[i];
    if (typeof item !== 'string' || !/^--[A-Za-z0-9]/.test(item)) return undefined;
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : item;
    if (flags.has(name)) return undefined;
    const next = list[i + 1];
    if (eq > 0) flags.set(name, { value: item.slice(eq + 1), index: i });
    else if (typeof next === 'string' && !next.startsWith('--')) flags.set(name, { value: next, index: i + 1 });
    else flags.set(name, { value: item, index: i });
    i = flags.get(name)!.index + 1;
  }
  return flags.size > 0 ? flags : undefined;
}

/** The flags whose value differs between two command lines, in the order of `b` (flags only in `a` last). */
function flagChanges(a: Map<string, FlagValue>, b: Map<string, FlagValue>, path: string): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [flag, after] of b) {
    const before = a.get(flag);
    if (before?.value !== after.value)
      changes.push({ path: `${path}[${after.index}]`, flag, ...(before ? { before: before.value } : {}), after: after.value });
  }
  for (const [flag, before] of a) if (!b.has(flag)) changes.push({ path: `${path}[${before.index}]`, flag, before: before.value });
  return changes;
}

/**
 * Every field that differs between `a` and `b`: mappings key by key, command lines flag by flag
 * (`args --ensure-replication: 3 → 5`, whatever moved around it), other lists item by item when their lengths agree.
 */
export function fieldChanges(a: unknown, b: unknown, path = ''): FieldChange[] {
  if (same(a, b)) return [];
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => fieldChanges(a[key], b[key], keyPath(path, key)));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const [flagsA, flagsB] = [commandLineFlags(a), commandLineFlags(b)];
    const changes = flagsA && flagsB ? flagChanges(flagsA, flagsB, path) : [];
    // The same flags and values in another order still change the object: then the whole list is the change.
    if (changes.length > 0) return changes;
    if (flagsA && flagsB) return [{ path, before: a, after: b }];
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
