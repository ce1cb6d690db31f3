/**
 * Regenerates the JSON Schemas of the values files from the zod schema (lib/values/json-schema.ts):
 *
 *   schema/values.schema.json          base.yaml
 *   schema/values-overlay.schema.json  providers/*.yaml, environments/*.yaml (nothing required; null removes)
 *   schema/targets.schema.json         targets.yaml
 *
 * and puts the `# yaml-language-server: $schema=…` comment on the first line of every values file under values/
 * that does not start with it yet. Usage: npm run schema (after any change to the values schema).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SCHEMA_FILES, SCHEMA_FOLDER, schemaComment, schemaFileText, valuesJsonSchemas } from '../lib/values/json-schema';

const ROOT = resolve(__dirname, '..');
const VALUES = join(ROOT, 'values');

function valuesFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? valuesFiles(join(dir, entry.name)) : entry.name.endsWith('.yaml') ? [join(dir, entry.name)] : [],
  );
}

function main(): void {
  mkdirSync(join(ROOT, SCHEMA_FOLDER), { recursive: true });
  const schemas = valuesJsonSchemas();
  for (const [kind, file] of Object.entries(SCHEMA_FILES) as Array<[keyof typeof SCHEMA_FILES, string]>) {
    const text = schemaFileText(schemas[kind]);
    const path = join(ROOT, file);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (before !== text) writeFileSync(path, text);
    process.stdout.write(`${before === text ? 'unchanged' : 'wrote'} ${file}\n`);
  }
  for (const path of valuesFiles(VALUES)) {
    const comment = schemaComment(relative(VALUES, path));
    if (!comment) continue;
    const text = readFileSync(path, 'utf8');
    const [first, ...rest] = text.split('\n');
    if (first === comment) continue;
    // A stale comment (the file moved) is replaced; any other first line moves down.
    const body = first!.startsWith('# yaml-language-server:') ? rest.join('\n') : text;
    writeFileSync(path, `${comment}\n${body}`);
    process.stdout.write(`added the $schema comment to ${relative(ROOT, path)}\n`);
  }
}

main();
