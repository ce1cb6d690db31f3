import { App, YamlOutputType } from 'cdk8s';
import { join, relative } from 'node:path';
import { copyFileSync, readdirSync } from 'node:fs';
import { buildStack, type RestateStackOptions } from '../stack';
import { SOPS_SECRET_FILE } from '../target-files';
import {
  type LoadedValues,
  loadTargets,
  loadTargetValues,
  problemsAcrossTargets,
  quantityToBytes,
  sopsFilePath,
  type Target,
  targetDir,
  ValuesError,
  type ValuesProblem,
} from '../values';
import { type SynthArgs } from './args';
import { StagedOutput } from './output';
import { readSynthesizedStorage, storageChangeProblems } from './storage-guard';

export interface SynthResult {
  /** Target folders written, relative to the output folder. */
  readonly written: readonly string[];
  readonly warnings: readonly string[];
}

export { SOPS_SECRET_FILE };

/** Synthesizes one target into `outdir` (a folder of its own). */
export function synthTarget(outdir: string, loaded: LoadedValues, valuesDir: string, options: RestateStackOptions = {}): void {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  buildStack(app, loaded.values, options);
  app.synth();
  // Not through cdk8s: re-serializing (cdk8s sorts keys) would break the SOPS MAC.
  const sops = sopsFilePath(valuesDir, loaded.values);
  if (sops) copyFileSync(sops, join(outdir, SOPS_SECRET_FILE));
}

/**
 * Validates every requested target first, then synthesizes them all into a staging folder and only then
 * replaces the output: on any error the output folder is left exactly as it was.
 */
export function runSynth(args: SynthArgs, options: RestateStackOptions = {}): SynthResult {
  const targets: Target[] =
    args.environment && args.provider ? [{ environment: args.environment, provider: args.provider }] : loadTargets(args.valuesDir);

  const problems: ValuesProblem[] = [];
  const failed: Array<{ target: string; problems: readonly ValuesProblem[] }> = [];
  const loaded: Array<{ target: Target; values: LoadedValues }> = [];
  for (const target of targets) {
    try {
      loaded.push({ target, values: loadTargetValues(args.valuesDir, target.environment, target.provider) });
    } catch (error) {
      if (!(error instanceof ValuesError)) throw error;
      failed.push({ target: targetDir(target), problems: error.problems });
    }
  }
  if (failed.length > 0) throw new ValuesError(targets.length > 1 ? problemsAcrossTargets(failed) : failed[0].problems);

  if (!args.allowStorageChange) {
    for (const { target, values } of loaded) {
      const folder = join(args.outdir, targetDir(target));
      const previous = readSynthesizedStorage(folder);
      if (!previous) continue;
      problems.push(
        ...storageChangeProblems(relative(process.cwd(), folder) || folder, previous, {
          storageRequestBytes: quantityToBytes(values.values.storage.size),
          storageClassName: values.values.storage.storageClassName,
          metadataStore: values.values.metadata.store,
        }),
      );
    }
    if (problems.length > 0) throw new ValuesError(problems);
  }

  const output = new StagedOutput(args.outdir);
  try {
    for (const { target, values } of loaded) synthTarget(join(output.staging, targetDir(target)), values, args.valuesDir, options);
    const folders = loaded.map(({ target }) => targetDir(target));
    assertOnlyYaml(output.staging, folders);
    if (args.environment) output.replaceFolders(folders);
    else output.replaceAll();
    return { written: folders, warnings: [...new Set(loaded.flatMap(({ values }) => values.warnings))] };
  } finally {
    output.discard();
  }
}

/** Guards the "no stray files" promise: a target folder holds only the charts' YAML (and SOPS credentials). */
function assertOnlyYaml(root: string, folders: readonly string[]): void {
  for (const folder of folders) {
    const stray = readdirSync(join(root, folder)).filter((name) => !/^\d{4}-[a-z-]+\.k8s\.yaml$/.test(name) && name !== SOPS_SECRET_FILE);
    if (stray.length > 0) throw new Error(`unexpected files in ${folder}: ${stray.join(', ')}`);
  }
}
