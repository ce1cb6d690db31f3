import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { ValuesProblem } from './errors';
import type { Data } from './merge';
import { firstInvalidUtf8 } from './utf8';

/**
 * Limits on one values file. A values file is written by hand and a few kilobytes long; the limits are far above
 * that and keep a mistaken or hostile file from costing minutes or gigabytes. Parsing is linear in the size.
 */
export const YAML_LIMITS = {
  /** Bytes in one file. */
  maxBytes: 4 * 1024 * 1024,
  /** Levels of nested mappings and lists. */
  maxDepth: 64,
  /** Values (scalars, mappings, lists) reached through aliases (`*name`): what stops an alias bomb. */
  maxAliasedValues: 100_000,
} as const;

/** Tags of the YAML 1.2 core schema, the only ones a values file may name (e.g. `!!str 1.4`). */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * Keys that cannot be data here, with the reason. `__proto__` is an object's prototype in JavaScript; cdk8s
 * 2.70 decides whether a value is a plain object by `value.constructor.name`, so any mapping with a key
 * `constructor` fails to render (cdk8s lib/_util.ts, sanitizeValue).
 */
const RESERVED_KEYS: ReadonlyMap<string, string> = new Map([
  ['__proto__', 'JavaScript objects treat it as their prototype, not as data'],
  ['constructor', 'cdk8s cannot render a mapping with this key (it reads value.constructor to tell plain objects apart)'],
]);

export interface ParsedYaml {
  /** The document as plain data; undefined when there were problems. */
  readonly data?: unknown;
  readonly problems: readonly ValuesProblem[];
}

/**
 * Parses one YAML document of values into plain data, refusing (all at once, each with file and line) what
 * would silently change meaning: invalid UTF-8, duplicate keys, tags outside the core schema (`!!set`,
 * `!!omap`, `!foo`), `.inf`/`.nan`, integers that a double cannot hold exactly, `__proto__` keys, nesting
 * deeper than `YAML_LIMITS.maxDepth` and alias expansion beyond `YAML_LIMITS.maxAliasedValues`.
 *
 * Duplicate keys are found with a set per mapping: the `yaml` package's own `uniqueKeys` check compares every
 * key with every earlier one, which made 20,000 keys in one map take seconds and 40,000 nearly a minute.
 */
export function parseValuesYaml(bytes: Buffer, shown: string): ParsedYaml {
  if (bytes.length > YAML_LIMITS.maxBytes) {
    return fail(
      shown,
      `is ${bytes.length} bytes; a values file may hold at most ${YAML_LIMITS.maxBytes} bytes (${YAML_LIMITS.maxBytes / 1024 / 1024} MiB)`,
    );
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const line = bytes.subarray(0, bad).reduce((n, byte) => (byte === 0x0a ? n + 1 : n), 1);
    return fail(
      `${shown}:${line}`,
      `is not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad}); save the file as UTF-8`,
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(bytes.toString('utf8'), { uniqueKeys: false, intAsBigInt: true, lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return shown;
    const pos = lineCounter.linePos(offset);
    return `${shown}:${pos.line}:${pos.col}`;
  };
  // An unknown tag is a warning to the parser; the walk below refuses it with the key path.
  const warnings = doc.warnings.filter((warning) => warning.code !== 'TAG_RESOLVE_FAILED');
  const syntax = [...doc.errors, ...warnings].map((error) => ({
    file: at(error.pos[0]),
    keyPath: '',
    message: error.message.includes('Maximum call stack size exceeded')
      ? `nested too deeply to parse; values nest at most ${YAML_LIMITS.maxDepth} levels`
      : `YAML syntax error: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
  }));
  if (syntax.length > 0) return { problems: syntax };
  return new Converter(doc, at, (offset) => lineCounter.linePos(offset).line).run();
}

function fail(file: string, message: string): ParsedYaml {
  return { problems: [{ file, keyPath: '', message }] };
}

type Path = readonly (string | number)[];

/** Walks the document tree without recursion (so depth cannot overflow the stack), building plain data. */
class Converter {
  private readonly problems: Array<ValuesProblem & { offset: number }> = [];
  private aliased = 0;
  private aliasTargets?: Map<Node, Node>;

  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number | undefined) => string,
    private readonly line: (offset: number) => number,
  ) {}

  run(): ParsedYaml {
    const root: { value?: unknown } = {};
    const stack: Array<{ node: Node | null; path: Path; set: (value: unknown) => void; depth: number; via: number }> = [
      { node: this.doc.contents as Node | null, path: [], set: (v) => (root.value = v), depth: 0, via: 0 },
    ];
    while (stack.length > 0) {
      const { node, path, set, depth, via } = stack.pop()!;
      if (via > 0 && ++this.aliased > YAML_LIMITS.maxAliasedValues) {
        this.problem(
          node,
          path,
          `aliases (*name) expand to more than ${YAML_LIMITS.maxAliasedValues} values; write the values out instead`,
        );
        break;
      }
      if (node === null || node === undefined) {
        set(null);
        continue;
      }
      if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
        this.problem(
          node,
          path,
          `has the tag ${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')}, which values do not support; remove it (only the YAML core tags such as !!str are allowed)`,
        );
        continue;
      }
      if (isAlias(node)) {
        const target = this.targets().get(node);
        if (!target) this.problem(node, path, `refers to an unknown anchor *${node.source}`);
        else if (via > YAML_LIMITS.maxDepth) this.problem(node, path, 'aliases refer to each other too deeply');
        else stack.push({ node: target as Node, path, set, depth, via: via + 1 });
        continue;
      }
      if (depth > YAML_LIMITS.maxDepth) {
        this.problem(node, path, `nests deeper than ${YAML_LIMITS.maxDepth} levels`);
        continue;
      }
      if (isScalar(node)) {
        set(this.scalar(node.value, node, path));
      } else if (isSeq(node)) {
        const list: unknown[] = new Array(node.items.length).fill(null);
        set(list);
        node.items.forEach((item, index) => {
          stack.push({ node: item as Node | null, path: [...path, index], set: (v) => (list[index] = v), depth: depth + 1, via });
        });
      } else if (isMap(node)) {
        const map: Data = {};
        set(map);
        const seen = new Map<string, number | undefined>();
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const keyNode = pair.key as Node | null;
          const key = this.key(keyNode, path);
          if (key === undefined) continue;
          const keyPath = [...path, key];
          if (RESERVED_KEYS.has(key)) {
            this.problem(keyNode, keyPath, `"${key}" cannot be a key: ${RESERVED_KEYS.get(key)}`);
            continue;
          }
          if (seen.has(key)) {
            const first = seen.get(key);
            const line = first === undefined ? '' : ` on line ${this.line(first)}`;
            this.problem(keyNode, keyPath, `duplicate key (first set${line}); YAML keys must be unique within a mapping`);
            continue;
          }
          seen.set(key, keyNode?.range?.[0]);
          map[key] = null;
          stack.push({ node: pair.value as Node | null, path: keyPath, set: (v) => (map[key] = v), depth: depth + 1, via });
        }
      } else {
        this.problem(node, path, 'is not a value values can hold');
      }
    }
    if (this.problems.length === 0) return { data: root.value, problems: [] };
    // The walk visits later siblings first; report in the order of the file.
    return {
      problems: [...this.problems].sort((a, b) => a.offset - b.offset).map(({ file, keyPath, message }) => ({ file, keyPath, message })),
    };
  }

  /**
   * What each alias refers to: the last node before it with that anchor, found in one pass in document order
   * (the `yaml` package's Alias.resolve searches the whole document for every alias).
   */
  private targets(): Map<Node, Node> {
    if (this.aliasTargets) return this.aliasTargets;
    const targets = new Map<Node, Node>();
    const anchors = new Map<string, Node>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target) targets.set(node, target);
        } else if (node.anchor) anchors.set(node.anchor, node);
      },
    });
    this.aliasTargets = targets;
    return targets;
  }

  /** A mapping key as a string; keys that are mappings, lists or null are refused. */
  private key(node: Node | null, path: Path): string | undefined {
    if (isScalar(node) && node.value !== null && typeof node.value !== 'object') {
      const value = this.scalar(node.value, node, path);
      return value === undefined ? undefined : String(value);
    }
    this.problem(node, path, 'has a key that is not a plain string (a mapping, list, alias or null as key)');
    return undefined;
  }

  private scalar(value: unknown, node: Node, path: Path): unknown {
    if (typeof value === 'bigint') {
      if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(value);
      this.problem(node, path, `${value} is beyond ±(2^53-1), which cannot be stored exactly; quote it if it is text`);
      return undefined;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      this.problem(node, path, `${(isScalar(node) && node.source) || String(value)} is not a finite number; quote it if it is text`);
      return undefined;
    }
    return value;
  }

  private problem(node: Node | null | undefined, path: Path, message: string): void {
    this.problems.push({ file: this.at(node?.range?.[0]), keyPath: path.join('.'), message, offset: node?.range?.[0] ?? 0 });
  }
}
