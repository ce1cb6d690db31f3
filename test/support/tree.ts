import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Every file below `root` with its text, keyed by relative path, sorted. */
export function readTree(root: string): Record<string, string> {
  const tree: Record<string, string> = {};
  if (!existsSync(root)) return tree;
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else tree[`${prefix}${name}`] = readFileSync(full, 'utf8');
    }
  };
  walk(root, '');
  return tree;
}

/** The Kubernetes objects of every YAML file in a folder (not its subfolders), in file order. */
export function readObjects(folder: string): Array<{ file: string; object: any }> {
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(folder, file), 'utf8'))
        .map((doc) => doc.toJS())
        .filter((object) => object !== null)
        .map((object) => ({ file, object })),
    );
}
