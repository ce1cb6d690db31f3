import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ValuesError, type ValuesProblem, type ValuesSource } from './errors';
import { type Data, getPath, hasPath, isData, mergeData } from './merge';
import { type StackValues, stackValuesSchema } from './schema';
import { danglingLink, displayPath, readRegularFile } from './read-file';
import { checkSopsManifest } from './sops';
import { deepFreeze, memoize } from './memo';
import { closest, didYouMean } from './suggest';
import { parseValuesYaml, YAML_LIMITS } from './yaml-data';
import { valuesWarnings } from './warnings';
import { alertWarnings } from './alerts';
import { WARNINGS, type Warning, type WarningId, WARNINGS_DOC } from './warning-ids';
import type { Acknowledgement } from './acknowledgements';
import { type Placeholder, placeholdersOf } from './placeholders';

/** One values file, parsed. */
export interface Layer {
  /** Path for messages, relative to the working directory. */
  readonly file: string;
  readonly data: Data;
}

export interface LoadedValues {
  readonly values: StackValues;
  /**
   * Things that are allowed but probably not meant, e.g. an even replica count, found in the values alone (synth's
   * change rules add those that need the manifests), acknowledged or not: `acknowledgements` says which.
   */
  readonly warnings: readonly Warning[];
  /** `warnings.acknowledge`, each with the file that set it. */
  readonly acknowledgements: readonly Acknowledgement[];
  /** Keys that still hold a shipped example (`gitops.repoURL`), which the deploy commands refuse. */
  readonly placeholders: readonly Placeholder[];
  /** The values files, in merge order, as read: {@link valuesSource} says which of them set a key. */
  readonly layers: readonly Layer[];
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses one YAML values file; every problem carries the file, and the line and column where there is one. */
export function readLayer(file: string): Layer {
  const shown = displayPath(file);
  const bytes = readRegularFile(file, shown, YAML_LIMITS.maxBytes);
  if (!Buffer.isBuffer(bytes)) throw new ValuesError([bytes]);
  return { file: shown, data: layerData(bytes, shown) };
}

/** The data of one values file, parsed once per process for each path and content (a full synth reads base.yaml for every target). */
const layerData = memoize(
  (bytes: Buffer, shown: string): Data => {
    const parsed = parseValuesYaml(bytes, shown);
    if (parsed.problems.length > 0) throw new ValuesError(parsed.problems);
    const data = parsed.data ?? {};
    if (!isData(data)) throw ValuesError.single(shown, '', 'must be a YAML mapping of keys to values');
    return data;
  },
  (bytes, shown) => `${shown}\0${bytes.toString('latin1')}`,
);

/**
 * Refuses a values folder that does not exist (or is not a folder) with one problem naming it, instead of one for
 * each file that is then missing in it (`targets.yaml: missing`).
 */
export function assertValuesDir(valuesDir: string): void {
  let folder = false;
  try {
    folder = statSync(valuesDir).isDirectory();
  } catch {
    // absent, or a dangling link: not a folder
  }
  if (!folder) {
    throw ValuesError.single(
      displayPath(valuesDir),
      '',
      `${existsSync(valuesDir) ? 'is not a folder' : 'no such folder'}: the values folder (--values-dir) holds base.yaml, targets.yaml, environments/ and providers/`,
    );
  }
}

/** The layers of one target, in merge order: base ◄ provider ◄ environment. */
export function targetLayerFiles(valuesDir: string, environment: string, provider: string): string[] {
  assertValuesDir(valuesDir);
  const files = [join(valuesDir, 'base.yaml')];
  const problems: ValuesProblem[] = [];
  for (const [kind, name] of [
    ['providers', provider],
    ['environments', environment],
  ] as const) {
    const singular = kind.slice(0, -1);
    if (!NAME.test(name)) {
      problems.push({
        file: '(command line)',
        keyPath: singular,
        message: `${JSON.stringify(name)} is not a valid ${singular} name (lower-case letters, digits, "-")`,
      });
      continue;
    }
    const file = join(valuesDir, kind, `${name}.yaml`);
    if (!existsSync(file)) {
      const known = listNames(join(valuesDir, kind)).filter((n) => existsSync(join(valuesDir, kind, `${n}.yaml`)));
      const link = danglingLink(file);
      const hint = didYouMean(name, known);
      problems.push({
        file: displayPath(file),
        keyPath: '',
        message: link ?? `no such ${singular} "${name}"${hint}; known: ${known.join(', ') || '(none)'}`,
      });
    }
    files.push(file);
  }
  if (!existsSync(files[0]))
    problems.unshift({ file: displayPath(files[0]), keyPath: '', message: danglingLink(files[0]) ?? 'the base values file is missing' });
  if (problems.length > 0) throw new ValuesError(problems);
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
  const layers = readLayers(targetLayerFiles(valuesDir, environment, provider));
  const loaded = validateLayers(layers, environment, provider);
  checkSopsManifest(valuesDir, loaded.values);
  return loaded;
}

/** Reads every file, so that a mistake in one does not hide those in the others. */
function readLayers(files: readonly string[]): Layer[] {
  const problems: ValuesProblem[] = [];
  const layers: Layer[] = [];
  for (const file of files) {
    try {
      layers.push(readLayer(file));
    } catch (error) {
      if (!(error instanceof ValuesError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ValuesError(problems);
  return layers;
}

/** Merges layers in order and validates the result; every problem names the file that set the key. */
export function validateLayers(layers: readonly Layer[], environment: string, provider: string): LoadedValues {
  const merged = layers.reduce<Data>((acc, layer) => mergeData(acc, layer.data), {});
  // jitless: zod 4 otherwise compiles a parser per object schema with `new Function` on first use, which costs a
  // process that validates a handful of targets more than it saves (measured: zod's share of a synth 50 → 31 ms).
  const result = stackValuesSchema.safeParse(merged, { jitless: true });
  if (!result.success) {
    throw new ValuesError(result.error.issues.flatMap((issue) => toProblems(issue, merged, layers)));
  }
  const source = (path: string[]) => sourceOf(path, layers);
  const target = `${environment}/${provider}`;
  const warnings = [...valuesWarnings(result.data, target), ...alertWarnings({ ...result.data, environment, provider }, target)];
  const acknowledgements = Object.entries(result.data.warnings?.acknowledge ?? {}).map(
    ([id, reason]): Acknowledgement => ({ id: id as WarningId, reason: reason!, file: source(['warnings', 'acknowledge', id]) }),
  );
  const placeholders = placeholdersOf(result.data, source);
  return {
    values: deepFreeze({ ...result.data, environment, provider }),
    warnings: deepFreeze(warnings),
    acknowledgements: deepFreeze(acknowledgements),
    placeholders: deepFreeze(placeholders),
    layers,
  };
}

/**
 * Which values files set a dotted key path (`storage.size`), in merge order; a layer that sets it (or a parent of
 * it) to `null` unsets it, so the files before it no longer count. Refusals name them beside the committed target.
 */
export function valuesSource(layers: readonly Layer[], keyPath: string): ValuesSource {
  const path = keyPath.split('.');
  const setIn: string[] = [];
  for (const layer of layers) {
    const unset = path.some((_, i) => hasPath(layer.data, path.slice(0, i + 1)) && getPath(layer.data, path.slice(0, i + 1)) === null);
    if (unset) setIn.length = 0;
    else if (hasPath(layer.data, path)) setIn.push(layer.file);
  }
  return { setIn, layers: layers.map((layer) => layer.file) };
}

function toProblems(issue: z.core.$ZodIssue, merged: Data, layers: readonly Layer[]): ValuesProblem[] {
  if (issue.code === 'unrecognized_keys' && issue.path.join('.') === 'warnings.acknowledge') {
    return issue.keys.map((key) => ({
      file: sourceOf([...issue.path, key], layers),
      keyPath: [...issue.path, key].join('.'),
      message: unknownAcknowledgement(key),
    }));
  }
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
    // zod's own words ("expected string, received number") as the rest of the messages put it; YAML reads an unquoted
    // 123 or true as a number or a boolean, so say how to write text.
    const plain = issue.message
      .replace(/^Invalid input: /, '')
      .replace(/^expected string, received (number|boolean)$/, 'must be text (YAML reads it unquoted as a $1: quote it)')
      .replace(/^expected boolean, received \w+$/, 'must be true or false')
      .replace(/^expected (\w+), received (\w+)$/, 'must be a $1, not a $2');
    message = `${plain}, got ${JSON.stringify(getPath(merged, issue.path))}`;
  } else if (issue.code === 'too_small' || issue.code === 'too_big') {
    message = `${issue.message}, got ${JSON.stringify(getPath(merged, issue.path))}`;
  }
  return [{ file: sourceOf(issue.path, layers), keyPath: issue.path.join('.'), message }];
}

/** Why `warnings.acknowledge.<key>` is refused: no such warning, or one about a change or the run. */
function unknownAcknowledgement(key: string): string {
  if (Object.hasOwn(WARNINGS, key)) {
    return `${key} cannot be acknowledged: it is about one change or about the run, not a standing finding of the values (${WARNINGS_DOC}#${key})`;
  }
  const suggestion = closest(key, knownKeys(['warnings', 'acknowledge']));
  return `unknown warning id${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; the ids are the headings of ${WARNINGS_DOC}`;
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
