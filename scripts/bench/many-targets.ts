import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Target {
  readonly environment: string;
  readonly provider: string;
}

/** Two values folders that differ only in how many targets targets.yaml lists: one, or `count`. */
export interface ManyTargets {
  readonly one: string;
  readonly many: string;
  readonly count: number;
  remove(): void;
}

/**
 * Builds values folders for the marginal cost per target: copies of values/ where environment `bench-NN` is
 * a copy of the NN-th shipped target's environment (cycling through them), paired with that target's provider.
 * The one-target folder lists only the first of them, so both do the same kind of work per target.
 */
export function prepareManyTargets(valuesDir: string, shipped: readonly Target[], count: number): ManyTargets {
  const base = mkdtempSync(join(tmpdir(), 'restate-stack-bench-targets-'));
  const targets: Target[] = [];
  const folders = { one: join(base, 'one'), many: join(base, 'many') };
  for (const folder of Object.values(folders)) cpSync(valuesDir, folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const model = shipped[i % shipped.length];
    const environment = `bench-${String(i + 1).padStart(2, '0')}`;
    for (const folder of Object.values(folders)) {
      copyFileSync(join(valuesDir, 'environments', `${model.environment}.yaml`), join(folder, 'environments', `${environment}.yaml`));
    }
    targets.push({ environment, provider: model.provider });
  }
  const list = (ts: readonly Target[]) =>
    `targets:\n${ts.map((t) => `  - { environment: ${t.environment}, provider: ${t.provider} }\n`).join('')}`;
  writeFileSync(join(folders.one, 'targets.yaml'), list(targets.slice(0, 1)));
  writeFileSync(join(folders.many, 'targets.yaml'), list(targets));
  return { ...folders, count, remove: () => rmSync(base, { recursive: true, force: true }) };
}
