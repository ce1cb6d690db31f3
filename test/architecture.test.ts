import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..');

/** The folders directly under lib/. */
const libFolders = readdirSync(join(repoRoot, 'lib'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** One row of ARCHITECTURE.md's folder table: what the folder may import, whole folders and single files or subfolders. */
interface FolderRule {
  readonly folder: string;
  readonly folders: readonly string[];
  readonly paths: readonly string[];
}

/** The rows `| \`lib/<folder>/\` | owns | may import |` of docs/ARCHITECTURE.md, read from the "May import" cell's code spans. */
function architectureRules(markdown: string): FolderRule[] {
  const rules: FolderRule[] = [];
  for (const line of markdown.split('\n')) {
    const row = /^\| `lib\/([a-z-]+)\/` \|.*\|([^|]*)\|$/.exec(line);
    if (!row) continue;
    const spans = [...row[2].matchAll(/`([^`]+)`/g)].map((match) => match[1]);
    rules.push({
      folder: row[1],
      folders: spans.filter((span) => /^[a-z-]+\/$/.test(span)).map((span) => span.slice(0, -1)),
      paths: spans.filter((span) => /^[a-z-]+\/.+/.test(span)),
    });
  }
  return rules;
}

const rules = architectureRules(readFileSync(join(repoRoot, 'docs', 'ARCHITECTURE.md'), 'utf8'));

/** A probe module of the scratch lib/ that a folder imports: `lib/values/probe.ts`, or a named path `lib/synth/run.ts`. */
function probeFile(path: string): string {
  return path.endsWith('/') ? `lib/${path}probe.ts` : `lib/${path}`;
}

describe("docs/ARCHITECTURE.md's rules and lint:deps", () => {
  test('every folder of lib/ has its row in the folder table, and every row names a folder that exists', () => {
    // GIVEN the folders of lib/ and the table's rows
    const rows = rules.map((rule) => rule.folder).sort();
    // THEN they are the same set
    expect(rows).toEqual(libFolders);
  });

  test('the dependency rules forbid exactly the imports the table does not allow, for every pair of folders', () => {
    // GIVEN a scratch lib/ with a probe module per folder (and the single files the table allows), each folder's
    // probe importing every other probe
    const scratch = mkdtempSync(join(tmpdir(), 'architecture-'));
    try {
      const targets = new Set<string>(libFolders.map((folder) => `${folder}/`));
      for (const rule of rules) for (const path of rule.paths) targets.add(path);
      const imports = new Map<string, string[]>();
      for (const folder of libFolders) {
        const from = `lib/${folder}/probe.ts`;
        imports.set(
          from,
          [...targets].map(probeFile).filter((to) => to !== from),
        );
      }
      for (const file of new Set([...imports.keys(), ...[...targets].map(probeFile)])) {
        mkdirSync(join(scratch, dirname(file)), { recursive: true });
        const lines = (imports.get(file) ?? []).map((to) => `import './${relativeImport(file, to)}';`);
        writeFileSync(join(scratch, file), `${lines.join('\n')}\nexport const probe = 1;\n`);
      }
      // AND the project's forbidden rules (the cycles rule aside: the probes import each other on purpose)
      const config = require(join(repoRoot, '.dependency-cruiser.cjs'));
      const forbidden = config.forbidden.filter((rule: { name: string }) => rule.name !== 'no-circular');
      writeFileSync(
        join(scratch, 'depcruise.json'),
        JSON.stringify({ forbidden, options: { includeOnly: '^lib/', tsPreCompilationDeps: true } }),
      );
      // WHEN dependency-cruiser checks them, as `npm run lint:deps` does
      const run = spawnSync(
        process.execPath,
        [
          join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
          '--config',
          'depcruise.json',
          '--output-type',
          'json',
          'lib',
        ],
        { cwd: scratch, encoding: 'utf8' },
      );
      const report = JSON.parse(run.stdout) as { summary: { violations: { from: string; to: string }[] } };
      const refused = new Set(report.summary.violations.map((v) => `${v.from} -> ${v.to}`));
      // THEN an import is refused exactly when the importing folder's row does not allow it
      const wrong: string[] = [];
      for (const rule of rules) {
        const from = `lib/${rule.folder}/probe.ts`;
        for (const to of imports.get(from)!) {
          const target = to.slice('lib/'.length);
          const allowed =
            target.startsWith(`${rule.folder}/`) ||
            rule.folders.some((folder) => target.startsWith(`${folder}/`)) ||
            rule.paths.some((path) => probeFile(path) === to);
          if (allowed === refused.has(`${from} -> ${to}`)) {
            wrong.push(
              `${from} -> ${to}: the table ${allowed ? 'allows' : 'forbids'} it, lint:deps ${allowed ? 'refuses' : 'lets it through'}`,
            );
          }
        }
      }
      expect(imports.size).toBe(libFolders.length);
      expect(refused.size).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});

/** `to` relative to the folder of `from`, without the extension, as an import names it. */
function relativeImport(from: string, to: string): string {
  const up = from.split('/').length - 2;
  return `${'../'.repeat(up)}${to.slice('lib/'.length)}`.replace(/\.ts$/, '');
}
