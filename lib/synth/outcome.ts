import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthPathsOf } from '../target-folder/files';

/** What a synth did to one target folder, compared with the folder as it was on disk before. */
export interface TargetOutcome {
  /** `<environment>/<provider>`, relative to the output folder. */
  readonly folder: string;
  /** `new`: the folder held none of synth's files before. */
  readonly status: 'new' | 'changed' | 'unchanged';
  /** For `changed`: synth's files that differ, appeared or went (paths below the folder: `argocd/application.yaml`), sorted. */
  readonly files: readonly string[];
}

/** Compares synth's files of a freshly staged target folder with those of the folder it replaces (byte for byte). */
export function targetOutcome(folder: string, previous: string, staged: string): TargetOutcome {
  const before = synthPathsOf(previous);
  if (before.length === 0) return { folder, status: 'new', files: [] };
  const after = synthPathsOf(staged);
  const files = [...new Set([...before, ...after])]
    .filter(
      (name) =>
        !before.includes(name) || !after.includes(name) || !readFileSync(join(previous, name)).equals(readFileSync(join(staged, name))),
    )
    .sort();
  return { folder, status: files.length > 0 ? 'changed' : 'unchanged', files };
}

/** Whether a folder holds any of synth's files (a target folder a full synth removes had some). */
export function holdsSynthFiles(folder: string): boolean {
  return synthPathsOf(folder).length > 0;
}

/** The lines synth prints: one per target, then a count; `shown` is the output folder as the user named it. */
export function outcomeLines(shown: string, outcomes: readonly TargetOutcome[], removed: readonly string[]): string[] {
  const width = 'unchanged'.length;
  const lines = outcomes.map(
    (o) => `${o.status.padEnd(width)}  ${join(shown, o.folder)}${o.status === 'changed' ? ` (${o.files.join(', ')})` : ''}`,
  );
  lines.push(...removed.map((folder) => `${'removed'.padEnd(width)}  ${join(shown, folder)} (not in targets.yaml)`));
  const count = (status: TargetOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  const parts = [
    `${count('changed')} changed`,
    `${count('unchanged')} unchanged`,
    `${count('new')} new`,
    ...(removed.length > 0 ? [`${removed.length} removed`] : []),
  ];
  lines.push(`synthesized ${outcomes.length} target${outcomes.length === 1 ? '' : 's'} into ${shown}: ${parts.join(', ')}`);
  return lines;
}
