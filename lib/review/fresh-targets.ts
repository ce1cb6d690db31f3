import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestateStackOptions } from '../stack/stack';
import { synthPathsOf } from '../target-folder/files';
import {
  type Acknowledgement,
  type Layer,
  type LoadedValues,
  type Placeholder,
  loadTargets,
  loadTargetValues,
  problemsAcrossTargets,
  type StackValues,
  targetDir,
  ValuesError,
  type ValuesProblem,
  type Warning,
} from '../values';
import { synthTarget } from '../synth/run';
import type { TargetFiles } from './committed-targets';

export interface FreshTargets {
  /** The files of each target, by `<environment>/<provider>`, in the order of targets.yaml. */
  readonly targets: TargetFiles;
  /** The values each target was synthesized from, by `<environment>/<provider>`. */
  readonly values: ReadonlyMap<string, StackValues>;
  /** The values files of each target, in merge order, by `<environment>/<provider>`: which set a refused key. */
  readonly layers: ReadonlyMap<string, readonly Layer[]>;
  /** The values' own warnings of every target (synth's change rules add theirs), before acknowledgements. */
  readonly warnings: readonly Warning[];
  /** `warnings.acknowledge` of each target, by `<environment>/<provider>`. */
  readonly acknowledgements: ReadonlyMap<string, readonly Acknowledgement[]>;
  /** The keys of each target that still hold a shipped example, by `<environment>/<provider>`. */
  readonly placeholders: ReadonlyMap<string, readonly Placeholder[]>;
}

/**
 * Synthesizes every target of `<valuesDir>/targets.yaml` as synth would, into a private temporary folder that is
 * removed afterwards: the output folder (`dist/`) is neither read nor written. Invalid values are one
 * ValuesError for all targets, as in synth.
 */
export function freshTargets(valuesDir: string, options: RestateStackOptions = {}): FreshTargets {
  const failed: Array<{ target: string; problems: readonly ValuesProblem[] }> = [];
  const loaded: Array<{ folder: string; values: LoadedValues }> = [];
  const targets = loadTargets(valuesDir);
  for (const target of targets) {
    try {
      loaded.push({
        folder: targetDir(target).split('\\').join('/'),
        values: loadTargetValues(valuesDir, target.environment, target.provider),
      });
    } catch (error) {
      if (!(error instanceof ValuesError)) throw error;
      failed.push({ target: targetDir(target), problems: error.problems });
    }
  }
  if (failed.length > 0) throw new ValuesError(targets.length > 1 ? problemsAcrossTargets(failed) : failed[0]!.problems);

  const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-plan-'));
  try {
    const files = new Map<string, Map<string, string>>();
    for (const { folder, values } of loaded) {
      const out = join(scratch, folder);
      synthTarget(out, values, valuesDir, options, folder);
      files.set(folder, new Map(synthPathsOf(out).map((path) => [path, readFileSync(join(out, path), 'utf8')])));
    }
    return {
      targets: files,
      values: new Map(loaded.map(({ folder, values }) => [folder, values.values])),
      layers: new Map(loaded.map(({ folder, values }) => [folder, values.layers])),
      warnings: loaded.flatMap(({ values }) => values.warnings),
      acknowledgements: new Map(loaded.map(({ folder, values }) => [folder, values.acknowledgements])),
      placeholders: new Map(loaded.map(({ folder, values }) => [folder, values.placeholders])),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
