import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ValuesError, type ValuesProblem } from './errors';
import { type Data, getPath, hasPath, isData, mergeData } from './merge';
import { type StackValues, stackValuesSchema } from './schema';
import { checkSopsManifest } from './sops';
import { closest } from './suggest';
import { targetWarnings } from './warnings';

/** One values file, parsed. */
export interface Layer {
  /** Path for messages, relative to the working directory. */
  readonly file: string;
  readonly data: Data;
}

export interface LoadedValues {
  readonly values: StackValues;
  /** Things that are allowed but probably not meant, e.g. an even replica count. */
  readonly warnings: readonly string[];
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Parses one YAML values file; syntax errors carry the file, line and column. */
export function readLayer(file: string): Layer {
  const shown = displayPath(file);
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValuesError(
      doc.errors.map((error) => {
        const at = error.linePos?.[0];
        const where = at ? `${shown}:${at.line}:${at.col}` : shown;
        return { file: where, keyPath: '', message: `YAML syntax error: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:$/, '')}` };
      }),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  if (!isData(data)) throw ValuesError.single(shown, '', 'must be a YAML mapping of keys to values');
  return { file: shown, data };
}

/** The layers of one target, in merge order: base ◄ provider ◄ environment. */
export function targetLayerFiles(valuesDir: string, environment: string, provider: string): string[] {
  const files = [join(valuesDir, 'base.yaml')];
  for (const [kind, name] of [['providers', provider], ['environments', environment]] as const) {
    const singular = kind.slice(0, -1);
    if (!NAME.test(name)) {
      throw ValuesError.single('(command line)', singular, `"${name}" is not a valid ${singular} name (lower-case letters, digits, "-")`);
    }
    const file = join(valuesDir, kind, `${name}.yaml`);
    if (!existsSync(file)) {
      const known = listNames(join(valuesDir, kind));
      throw ValuesError.single(displayPath(file), '', `no such ${singular} "${name}"; known: ${known.join(', ') || '(none)'}`);
    }
    files.push(file);
  }
  if (!existsSync(files[0])) throw ValuesError.single(displayPath(files[0]), '', 'the base values file is missing');
  return files;
}

/** Names of the overlays in a folder (file names without `.yaml`), sorted. */
export function listNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Loads, merges and validates the values of one environment × provider target. */
export function loadTargetValues(valuesDir: string, environment: string, provider: string): LoadedValues {
  const layers = targetLayerFiles(valuesDir, environment, provider).map(readLayer);
  const loaded = validateLayers(layers, environment, provider);
  checkSopsManifest(valuesDir, loaded.values);
  return loaded;
}

/** Merges layers in order and validates the result; every problem names the file that set the key. */
export function validateLayers(layers: readonly Layer[], environment: string, provider: string): LoadedValues {
  const merged = layers.reduce<Data>((acc, layer) => mergeData(acc, layer.data), {});
  const result = stackValuesSchema.safeParse(merged);
  if (!result.success) {
    throw new ValuesError(result.error.issues.flatMap((issue) => toProblems(issue, merged, layers)));
  }
  const warnings: string[] = [];
  if (result.data.replicas % 2 === 0) {
    warnings.push(
      `${sourceOf(['replicas'], layers)}: replicas: ${result.data.replicas} is even; a Raft majority of ${result.data.replicas} survives no more failures than ${result.data.replicas - 1} replicas do`,
    );
  }
  if (result.data.metadata.store === 'object-store' && result.data.provisioning.automated) {
    warnings.push(
      `${sourceOf(['provisioning', 'automated'], layers)}: provisioning.automated: ignored with metadata.store object-store, which provisions itself (auto-provision = true)`,
    );
  }
  warnings.push(...targetWarnings(result.data, `${environment}/${provider}`, (path) => sourceOf(path, layers)));
  return { values: deepFreeze({ ...result.data, environment, provider }), warnings };
}

function toProblems(issue: z.core.$ZodIssue, merged: Data, layers: readonly Layer[]): ValuesProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const suggestion = closest(key, knownKeys(issue.path));
      return {
        file: sourceOf(path, layers),
        keyPath: path.join('.'),
        message: `unknown key${suggestion ? ` (did you mean "${[...issue.path, suggestion].join('.')}"?)` : ''}`,
      };
    });
  }
  const present = hasPath(merged, issue.path);
  let message = issue.message;
  if (!present && issue.code !== 'custom') message = 'is required (set it in base.yaml or an overlay)';
  else if (issue.code === 'invalid_type' || issue.code === 'invalid_value') {
    message = `${issue.message.replace(/^Invalid input: /, '')}, got ${JSON.stringify(getPath(merged, issue.path))}`;
  } else if (issue.code === 'too_small' || issue.code === 'too_big') {
    message = `${issue.message}, got ${JSON.stringify(getPath(merged, issue.path))}`;
  }
  return [{ file: sourceOf(issue.path, layers), keyPath: issue.path.join('.'), message }];
}

/**
 * The last layer that set a key path (it won the merge); for a key nobody set, the last layer that set its
 * closest parent (where the key is missing); `(merged)` when no layer set any of it.
 */
function sourceOf(path: readonly PropertyKey[], layers: readonly Layer[]): string {
  for (let depth = path.length; depth > 0; depth--) {
    for (let i = layers.length - 1; i >= 0; i--) {
      if (hasPath(layers[i].data, path.slice(0, depth))) return layers[i].file;
    }
  }
  return '(merged)';
}

/** Keys the schema allows at a path, for "did you mean" hints. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType = stackValuesSchema;
  for (const key of [...path, undefined]) {
    for (;;) {
      const def = schema._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
      if (def.innerType) schema = def.innerType;
      else if (def.type === 'pipe' && def.in) schema = def.in;
      else break;
    }
    const shape = (schema._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
    if (!shape) return [];
    if (key === undefined) return Object.keys(shape);
    const next = shape[String(key)];
    if (!next) return [];
    schema = next;
  }
  return [];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
