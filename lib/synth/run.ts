import { App, YamlOutputType } from 'cdk8s';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { buildStack, type RestateStackOptions } from '../stack/stack';
import { gitOpsMarks } from '../stack/gitops/marks';
import { gitOpsFiles } from '../stack/gitops/output';
import { gitOpsTools } from '../stack/gitops/tools';
import { CLUSTER_FILE, isSynthEntry, listTargetFiles, OPERATOR_FILE, SOPS_SECRET_FILE } from '../target-folder/files';
import {
  type Acknowledgement,
  type AcknowledgedWarning,
  applyAcknowledgements,
  type LoadedValues,
  loadTargets,
  loadTargetValues,
  displayPath,
  problemsAcrossTargets,
  quantityToBytes,
  sopsFilePath,
  type StackValues,
  type Target,
  targetDir,
  ValuesError,
  type ValuesProblem,
  valuesSource,
  type Warning,
} from '../values';
import { type SynthArgs } from './args';
import { type CommittedOutput, committedOutput } from './committed';
import { OutputLock } from './lock';
import { claimOutputRoot, foreignInTarget, inspectOutputRoot, unclaimOutputRoot } from './outdir';
import { recoverOutput, StagedOutput } from './output';
import { holdsSynthFiles, type TargetOutcome, targetOutcome } from './outcome';
import { parseCommittedStorage, storageChangeProblems } from './storage-guard';
import { checkTargetChange } from './change-rules';
import { committedManifests, folderManifests } from './target-change';
import { committedOperatorState, operatorStateOf, operatorUpgradeProblems } from './operator-upgrade-guard';

export interface SynthResult {
  /** Target folders written, relative to the output folder. */
  readonly written: readonly string[];
  /** Per target written: new, changed (which files) or unchanged, compared with the folder it replaced. */
  readonly outcomes: readonly TargetOutcome[];
  /** Target folders whose synth files a full synth removed (no longer in targets.yaml). */
  readonly removed: readonly string[];
  /** The warnings to print (docs/warnings.md): all but those the values acknowledge, in the order found. */
  readonly warnings: readonly Warning[];
  /** The warnings that fired and that the values acknowledge (`warnings.acknowledge`). */
  readonly acknowledged: readonly AcknowledgedWarning[];
}

/** Synthesizes one target into `outdir` (a folder of its own). */
export function synthTarget(outdir: string, loaded: LoadedValues, valuesDir: string, options: RestateStackOptions = {}, folder = ''): void {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  buildStack(app, loaded.values, options);
  app.synth();
  // Not through cdk8s: re-serializing (cdk8s sorts keys) would break the SOPS MAC. Not copyFile either: the
  // copy's permissions follow the umask, like every other output file, not the values file's.
  const sops = sopsFilePath(valuesDir, loaded.values);
  if (sops) writeFileSync(join(outdir, SOPS_SECRET_FILE), readFileSync(sops));
  const objects = app.charts
    .flatMap((chart) => chart.toJson() as Array<{ apiVersion: string; kind: string; metadata?: { namespace?: string } }>)
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata?.namespace }));
  const chartFiles = new Map([...listTargetFiles(outdir).byChart].map(([chart, path]) => [chart, basename(path)]));
  const files = gitOpsFiles({ values: loaded.values, folder, chartFiles, sopsSecret: sops !== undefined, objects });
  for (const file of files) {
    mkdirSync(dirname(join(outdir, file.path)), { recursive: true });
    writeFileSync(join(outdir, file.path), file.text);
  }
}

export interface RunSynthOptions extends RestateStackOptions {
  /**
   * How long to wait for another synth's lock on the output folder.
   * @default 10 s
   */
  readonly lockWaitMs?: number;
  /** Called before each step of moving target folders into place; for crash tests (a throw there is a kill there). */
  readonly onCommitStep?: (step: string) => void;
}

/**
 * Validates every requested target first, then synthesizes them all into a staging folder and only then
 * replaces the target folders: on any error the output folder is left exactly as it was. Synth writes only
 * into an output folder it owns ({@link inspectOutputRoot}) and replaces only files of its own names; a full
 * synth removes target folders no longer listed, keeping any file it did not write.
 */
export function runSynth(args: SynthArgs, options: RunSynthOptions = {}): SynthResult {
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
  const folders = loaded.map(({ target }) => targetDir(target));
  const root = inspectOutputRoot(args.outdir, args.valuesDir, folders);
  const warnings: Warning[] = loaded.flatMap(({ values }) => values.warnings);
  if (args.environment && args.provider) warnings.push(...unlistedTargetNote(args.valuesDir, targets[0]));

  // Under `cdk8s synth -o DIR` the guards compare with the committed dist/ (what runs), not with DIR.
  const committed = args.guardOutdir
    ? committedOutput(realOrResolved(args.guardOutdir), args.guardOutdir, args.base)
    : committedOutput(root.path, root.shown, args.base);
  if (!args.allowStorageChange) {
    for (const { target, values } of loaded) {
      const file = committed.read(targetDir(target), CLUSTER_FILE);
      if (!file) continue;
      const adoption = adoptionRollNote(targetDir(target), file.text, values.values);
      if (adoption) warnings.push(adoption);
      problems.push(
        ...storageChangeProblems(join(root.shown, targetDir(target)), parseCommittedStorage(file.label, file.text), {
          storageRequestBytes: quantityToBytes(values.values.storage.size),
          storageClassName: values.values.storage.storageClassName,
          metadataStore: values.values.metadata.store,
        }).map((problem) => withSource(problem, values)),
      );
    }
    warnings.push(...committed.notes());
  }
  // The operator upgrade guard compares with the committed target too; --allow-storage-change does not lift it.
  const committedForUpgrade = args.guardOutdir ? committedOutput(root.path, root.shown, args.base) : committed;
  for (const { target, values } of loaded) {
    const read = (file: string) => committedForUpgrade.read(targetDir(target), file)?.text;
    const before = committedOperatorState(read(OPERATOR_FILE), read(CLUSTER_FILE));
    problems.push(
      ...operatorUpgradeProblems(join(root.shown, targetDir(target)), before, operatorStateOf(values.values)).map((problem) =>
        withSource(problem, values),
      ),
    );
  }
  // Every refusal at once: the change rules' too, from a synth into a scratch folder (the output is not touched).
  if (problems.length > 0) throw new ValuesError([...problems, ...scratchChangeRefusals(committed, root.shown, loaded, args, options)]);

  const claimed = claimOutputRoot(root);
  let lock: OutputLock | undefined;
  let output: StagedOutput | undefined;
  let done = false;
  try {
    lock = OutputLock.acquire(root.path, root.shown, options.lockWaitMs);
    warnings.push(
      ...recoverOutput(root.path).map((note): Warning => ({ id: 'interrupted-synth-recovered', text: `${root.shown}: ${note}` })),
    );
    output = new StagedOutput(root.path, options.onCommitStep);
    for (const { target, values } of loaded)
      synthTarget(output.folder(targetDir(target)), values, args.valuesDir, options, targetDir(target));
    assertOnlyYaml(output, folders);
    const changes = checkChanges(committed, (folder) => output!.folder(folder), root.shown, loaded);
    if (changes.refusals.length > 0) throw new ValuesError(changes.refusals);
    warnings.push(...changes.warnings);
    const remove = args.environment ? [] : targetFolders(root.path).filter((folder) => !folders.includes(folder));
    const outcomes = folders.map((folder) => targetOutcome(folder, join(root.path, folder), output!.folder(folder)));
    const removed = remove.filter((folder) => holdsSynthFiles(join(root.path, folder)));
    for (const folder of [...folders, ...remove]) {
      if (!existsSync(join(root.path, folder))) continue;
      const foreign = foreignInTarget(root.path, folder);
      output.keep(foreign);
      if (foreign.length > 0) warnings.push(foreignFilesWarning(folder, foreign));
    }
    output.commit(folders, remove);
    done = true;
    const acknowledgements = new Map<string, readonly Acknowledgement[]>(
      loaded.map(({ target, values }) => [targetDir(target), values.acknowledgements]),
    );
    const { shown, acknowledged } = applyAcknowledgements(warnings, acknowledgements, true);
    return { written: folders, outcomes, removed, warnings: shown, acknowledged };
  } finally {
    output?.discard();
    lock?.release();
    if (!done && !output?.started) unclaimOutputRoot(root, claimed);
  }
}

/** The files and folders of a target folder that synth kept because it did not write them: one warning per target. */
function foreignFilesWarning(folder: string, foreign: readonly string[]): Warning {
  const names = foreign.map((entry) => relative(folder, entry));
  const listed = names.length > 2 ? `${names.slice(0, 2).join(', ')} +${names.length - 2} more` : names.join(', ');
  return { id: 'foreign-files-kept', target: folder, text: `kept ${listed} (not synth's)` };
}

/**
 * A single-target synth of a pair that targets.yaml does not list writes it all the same; the next full synth
 * removes that folder again (it keeps only the listed targets). Says so, unless targets.yaml cannot be read (the
 * full synth reports that).
 */
function unlistedTargetNote(valuesDir: string, target: Target): Warning[] {
  let listed: Target[];
  try {
    listed = loadTargets(valuesDir);
  } catch (error) {
    if (error instanceof ValuesError) return [];
    throw error;
  }
  if (listed.some((t) => t.environment === target.environment && t.provider === target.provider)) return [];
  const file = displayPath(join(valuesDir, 'targets.yaml'));
  return [{ id: 'unlisted-target', target: targetDir(target), text: `not in ${file}: the next full synth removes it; list it there` }];
}

/**
 * A refusal of a change against the committed target (its file is the target folder, `dist/prod/vultr`) with the
 * values files that set the refused key, which is where the user changes it.
 */
function withSource(problem: ValuesProblem, loaded: LoadedValues): ValuesProblem {
  return problem.keyPath ? { ...problem, source: valuesSource(loaded.layers, problem.keyPath) } : problem;
}

/** The real path of a folder that may not exist yet. */
function realOrResolved(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(path);
}

/**
 * The change rules (lib/synth/change-rules) for every target, its committed manifests against the staged ones:
 * any refusal throws (the caller discards the staging, so the output folder is untouched); the warnings are
 * returned, each with its target.
 */
function checkChanges(
  committed: CommittedOutput,
  folderOf: (folder: string) => string,
  shownRoot: string,
  loaded: ReadonlyArray<{ target: Target; values: LoadedValues }>,
): { refusals: ValuesProblem[]; warnings: Warning[] } {
  const refusals: ValuesProblem[] = [];
  const warnings: Warning[] = [];
  for (const { target, values } of loaded) {
    const folder = targetDir(target);
    const shown = join(shownRoot, folder);
    const findings = checkTargetChange({
      target: shown,
      before: committedManifests(committed, folder, shown),
      after: folderManifests(folderOf(folder), shown),
      values: values.values,
    });
    for (const finding of findings) {
      if (finding.severity === 'refuse')
        refusals.push(withSource({ file: shown, keyPath: finding.keyPath ?? '', message: finding.message }, values));
      else warnings.push({ id: finding.rule, target: folder, text: finding.text });
    }
  }
  return { refusals, warnings };
}

/**
 * The change rules' refusals of a synth that is refused already (storage, operator upgrade), so that one run names
 * every refusal: the targets synthesized into a scratch folder, removed afterwards.
 */
function scratchChangeRefusals(
  committed: CommittedOutput,
  shownRoot: string,
  loaded: ReadonlyArray<{ target: Target; values: LoadedValues }>,
  args: SynthArgs,
  options: RestateStackOptions,
): ValuesProblem[] {
  const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-refusals-'));
  try {
    for (const { target, values } of loaded)
      synthTarget(join(scratch, targetDir(target)), values, args.valuesDir, options, targetDir(target));
    return checkChanges(committed, (folder) => join(scratch, folder), shownRoot, loaded).refusals;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The one roll of adopting a running cluster into Argo CD or Flux: the marks the tool puts on what it manages are
 * written into the RestateCluster (lib/stack/gitops/marks.ts), and the operator copies the CR's labels and
 * annotations onto the pod template. Said when the committed RestateCluster lacks one of them.
 */
function adoptionRollNote(folder: string, committedText: string, values: StackValues): Warning | undefined {
  const marks = gitOpsMarks(values);
  const missing = [...Object.keys(marks.annotations ?? {}), ...Object.keys(marks.labels ?? {})].filter(
    (key) => !committedText.includes(`${key}:`),
  );
  if (missing.length === 0) return undefined;
  const tool = gitOpsTools(values).argocd ? 'Argo CD' : 'Flux';
  return {
    id: 'gitops-adoption-roll',
    target: folder,
    text: `RestateCluster gains ${tool}'s marks: all pods restart once`,
  };
}

/** The `<environment>/<provider>` folders in an output folder (not following symbolic links). */
function targetFolders(root: string): string[] {
  const folders: string[] = [];
  for (const env of readdirSync(root, { withFileTypes: true })) {
    if (!env.isDirectory() || env.name.startsWith('.')) continue;
    for (const provider of readdirSync(join(root, env.name), { withFileTypes: true })) {
      if (provider.isDirectory()) folders.push(join(env.name, provider.name));
    }
  }
  return folders.sort();
}

/** Guards the "no stray files" promise: a target folder holds only the charts' YAML (and SOPS credentials, argocd/, flux/). */
function assertOnlyYaml(output: StagedOutput, folders: readonly string[]): void {
  for (const folder of folders) {
    const stray = readdirSync(output.folder(folder), { withFileTypes: true })
      .filter((e) => !isSynthEntry(e.name, e.isDirectory()))
      .map((e) => e.name);
    if (stray.length > 0) throw new Error(`unexpected files in ${folder}: ${stray.join(', ')}`);
  }
}
