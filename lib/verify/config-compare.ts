import { closest } from '../values/suggest';

/** A key of the written config that does not do what it says. */
export interface LintProblem {
  /** Dotted key path as written, e.g. `metadata-server.type`. */
  readonly keyPath: string;
  readonly message: string;
}

type Table = Record<string, unknown>;

/**
 * Keys the server used to read and now ignores, with what to do instead: the server accepts unknown and removed keys silently
 * (exit 0, no warning), and `[metadata-server] type` was removed in Restate 1.4.
 */
const REMOVED: Readonly<Record<string, string>> = {
  'metadata-server.type':
    'removed in Restate 1.4: the metadata server is always the replicated (Raft) one; a different store is chosen with [metadata-client] type',
};

/** Lists whose order the server does not keep (it prints them in its own order). */
const SET_KEYS = new Set(['roles']);

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The variable that overrides a key: `RESTATE_` + segments in upper case, `-` → `_`, joined by `__`. */
export function envNameOf(path: readonly string[]): string {
  return `RESTATE_${path.map((s) => s.toUpperCase().replace(/-/g, '_')).join('__')}`;
}

/** Removes differences of notation that do not change the meaning: URL spelling, order of set-like lists. */
function normalize(path: readonly string[], value: unknown): unknown {
  if (typeof value === 'string' && /^https?:\/\//i.test(value)) {
    try {
      return new URL(value).href;
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(path, item));
    return SET_KEYS.has(path[path.length - 1]) ? [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : items;
  }
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize([...path, k], v)]));
  if (value instanceof Date) return value.toISOString();
  return value;
}

function same(path: readonly string[], a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(path, a), bigintSafe) === JSON.stringify(normalize(path, b), bigintSafe);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Values that cannot be two notations of one thing: numbers, booleans, lists of another length. */
function plainlyDifferent(a: unknown, b: unknown): boolean {
  if (typeof a === typeof b && (typeof a === 'number' || typeof a === 'boolean' || typeof a === 'bigint')) return a !== b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length !== b.length;
  return false;
}

function show(value: unknown): string {
  return JSON.stringify(value, bigintSafe);
}

/** Every key (as a dotted path) below a table, for suggestions across sections. */
function keyPaths(table: Table, prefix: readonly string[] = []): string[][] {
  return Object.entries(table).flatMap(([k, v]) => [[...prefix, k], ...(isTable(v) ? keyPaths(v, [...prefix, k]) : [])]);
}

function leafNames(table: Table): string {
  const names = keyPaths(table)
    .filter((p) => !isTable(p.reduce<unknown>((t, k) => (t as Table)[k], table)))
    .map((p) => p.join('.'));
  return names.length > 0 ? ` (holding ${names.join(', ')})` : '';
}

function noEffect(path: readonly string[], written: unknown, known: Table, root: Table): LintProblem {
  const keyPath = path.join('.');
  const name = path[path.length - 1];
  const what = isTable(written) ? `has no effect, nor has anything in this table${leafNames(written)}` : 'has no effect';
  const removed = REMOVED[keyPath];
  if (removed) return { keyPath, message: `${what}: ${removed}` };
  const sibling = closest(name, Object.keys(known));
  let hint = '';
  if (sibling !== undefined) {
    hint = `; did you mean ${[...path.slice(0, -1), sibling].join('.')}?`;
  } else {
    const elsewhere = keyPaths(root).filter((p) => p[p.length - 1] === name && p.length !== path.length);
    if (elsewhere.length > 0 && elsewhere.length <= 3) hint = `; the server knows ${elsewhere.map((p) => p.join('.')).join(', ')}`;
  }
  return { keyPath, message: `${what}: the server does not know it (unknown, removed or misspelled)${hint}` };
}

/**
 * Compares the config as written with what the server made of it.
 *
 * @param written   the TOML as shipped, parsed
 * @param effective `--dump-config` with the pod's environment: what a pod runs with
 * @param canonical `--dump-config` of the same file without any environment: the server's own notation of
 *                  what was written (`90s` → `1m 30s`), so a change of notation is not taken for a change
 * @param env       the pod's environment, to name the variable that overrode a key
 */
export function compareConfig(written: Table, effective: Table, canonical: Table, env: Readonly<Record<string, string>>): LintProblem[] {
  const problems: LintProblem[] = [];
  const walk = (w: Table, e: Table, c: Table | undefined, path: readonly string[]): void => {
    for (const [key, wv] of Object.entries(w)) {
      const p = [...path, key];
      if (!(key in e)) {
        problems.push(noEffect(p, wv, e, effective));
        continue;
      }
      const ev = e[key];
      const cv = c?.[key];
      if (isTable(wv)) {
        if (isTable(ev)) walk(wv, ev, isTable(cv) ? cv : undefined, p);
        else problems.push({ keyPath: p.join('.'), message: `is written as a table, but the server reads it as the value ${show(ev)}` });
        continue;
      }
      if (same(p, wv, ev)) continue;
      if (cv !== undefined && same(p, cv, ev) && !plainlyDifferent(wv, cv)) continue; // another notation, same value
      const variable = envNameOf(p);
      const keyPath = p.join('.');
      if (variable in env && (cv === undefined || !same(p, cv, ev))) {
        problems.push({
          keyPath,
          message: `is overridden in the pod: written ${show(wv)}, but the environment sets ${variable}=${show(env[variable])} (effective ${show(ev)})`,
        });
      } else {
        problems.push({ keyPath, message: `does not take effect as written: written ${show(wv)}, effective ${show(ev)}` });
      }
    }
  };
  walk(written, effective, canonical, []);
  return problems;
}

/** One line per problem: `  - key.path: message`. */
export function formatLintProblems(problems: readonly LintProblem[]): string {
  return problems.map((p) => `  - ${p.keyPath || '(config)'}: ${p.message}`).join('\n');
}
