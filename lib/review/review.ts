import { ExitCode } from '../errors/user-error';
import type { RestateStackOptions } from '../stack/stack';
import { CLUSTER_FILE, OPERATOR_FILE } from '../target/files';
import { operatorVersion, provisioner, quantityToBytes, type StackValues } from '../values';
import { type ChangeFinding, checkTargetChange, type TargetManifests } from '../synth/change-rules';
import { committedOperatorState, operatorStateOf, operatorUpgradeProblems } from '../synth/operator-upgrade-guard';
import { parseCommittedStorage, storageChangeProblems } from '../synth/storage-guard';
import type { PlanArgs } from './args';
import { committedTargets } from './committed-targets';
import { type Effect, newTargetEffect, objectEffects, removedTargetEffect, type TargetFacts } from './effects';
import { freshTargets } from './fresh-targets';
import { diffObjects, type ManifestEntry, manifestEntries, type ObjectChange } from './object-diff';

export type TargetStatus = 'added' | 'removed' | 'changed' | 'unchanged';

export interface TargetReview {
  /** `<environment>/<provider>`. */
  readonly target: string;
  readonly status: TargetStatus;
  readonly objects: readonly ObjectChange[];
  /** Refusals first, then warnings, then the rest. */
  readonly effects: readonly Effect[];
}

export interface PlanReport {
  readonly base: { readonly ref: string; readonly commit: string };
  /** The committed output folder inside the repository (`dist`). */
  readonly dist: string;
  readonly targets: readonly TargetReview[];
  /** Warnings of the values (as synth prints them), and the change rules' warnings that hold whatever the change. */
  readonly warnings: readonly string[];
  /** Whether any target is added, removed or changed. */
  readonly changed: boolean;
  /** Whether any change is refused (synth would exit 2 for it, or the API server would reject it). */
  readonly refused: boolean;
}

const SEVERITY_ORDER = { refuse: 0, warn: 1, info: 2 } as const;

/** The operator upgrade guard's refusals (1.7.4 → 2.8.1 in three commits, never back) as effects. */
function operatorUpgradeEffects(
  shown: string,
  operatorFile: string | undefined,
  clusterFile: string | undefined,
  values: StackValues,
): Effect[] {
  const before = committedOperatorState(operatorFile, clusterFile);
  return operatorUpgradeProblems(shown, before, operatorStateOf(values)).map(
    (problem): Effect => ({
      kind: 'refused',
      severity: 'refuse',
      rule: 'operator-upgrade',
      summary: `${problem.keyPath}: ${problem.message}`,
    }),
  );
}

/** The storage guard's refusals (shrink, storage class, metadata store) as effects. */
function storageEffects(shown: string, label: string, clusterFile: string | undefined, values: StackValues): Effect[] {
  if (clusterFile === undefined) return [];
  const problems = storageChangeProblems(shown, parseCommittedStorage(label, clusterFile), {
    storageRequestBytes: quantityToBytes(values.storage.size),
    storageClassName: values.storage.storageClassName,
    metadataStore: values.metadata.store,
  });
  return problems.map((problem): Effect => {
    if (problem.keyPath === 'metadata.store')
      return { kind: 'data-migration', severity: 'refuse', rule: 'metadata-store', summary: `${problem.keyPath}: ${problem.message}` };
    return {
      kind: 'refused',
      severity: 'refuse',
      rule: problem.keyPath === 'storage.size' ? 'storage-shrink' : 'storage-class',
      summary: `${problem.keyPath}: ${problem.message}`,
    };
  });
}

/**
 * What the change rules of synth (lib/synth/change-rules) find, as effects of the change, and the warnings that hold
 * whatever the change (they fire as well when nothing changes, e.g. a multi-node target without snapshots), which
 * belong with the values' warnings. A `pod-template-roll` warning is the same fact as plan's own rolling-restart
 * effect, which names the pods and the fields: that effect carries the rule's name instead.
 */
function ruleEffects(
  shown: string,
  before: TargetManifests | undefined,
  after: TargetManifests,
  values: StackValues,
): { effects: Effect[]; standing: string[] } {
  const key = (finding: ChangeFinding) => `${finding.rule}\n${finding.keyPath ?? ''}\n${finding.message}`;
  const standing = new Set(
    before
      ? checkTargetChange({ target: shown, before, after: before, values })
          .filter((f) => f.severity === 'warn')
          .map(key)
      : [],
  );
  const effects: Effect[] = [];
  const warnings: string[] = [];
  for (const finding of checkTargetChange({ target: shown, before, after, values })) {
    const summary = finding.keyPath ? `${finding.keyPath}: ${finding.message}` : finding.message;
    if (standing.has(key(finding))) warnings.push(`${shown}: ${summary}`);
    else
      effects.push({
        kind: finding.severity === 'refuse' ? 'refused' : 'warning',
        severity: finding.severity,
        rule: finding.rule,
        summary,
      });
  }
  return { effects, standing: warnings };
}

/** Plan's rolling-restart effect and the rule's pod-template-roll warning are one fact: keep the effect, named by the rule. */
function mergeRollingRestart(effects: Effect[]): Effect[] {
  const rule = effects.find((effect) => effect.rule === 'pod-template-roll');
  const restart = effects.find((effect) => effect.kind === 'rolling-restart');
  if (!rule || !restart) return effects;
  return effects.filter((effect) => effect !== rule).map((effect) => (effect === restart ? { ...effect, rule: rule.rule } : effect));
}

/** Who provisions the target and which operator runs it, from its values after the change. */
function targetFacts(target: string, values: StackValues): TargetFacts {
  return {
    target,
    operatorVersion: operatorVersion(values),
    provisioner: provisioner(values) ?? (values.metadata.store === 'replicated' ? 'manual' : 'self'),
    delivery: values.operator.delivery,
  };
}

const manifests = (label: string, entries: readonly ManifestEntry[]): TargetManifests => ({
  label,
  objects: entries.map((entry) => entry.object),
});

/**
 * The plan: every target of a fresh synth of the working tree's values, compared with the targets committed at
 * `args.base`, with what each change does to a running cluster. Reads git and the values; writes nothing but a
 * temporary folder it removes.
 */
export function reviewChanges(args: PlanArgs, options: RestateStackOptions = {}): PlanReport {
  const committed = committedTargets(args.dist, args.base);
  const fresh = freshTargets(args.valuesDir, options);
  const folders = [...new Set([...committed.targets.keys(), ...fresh.targets.keys()])].sort();
  const targets: TargetReview[] = [];
  const standing: string[] = [];
  for (const folder of folders) {
    const label = `${args.base}:${committed.prefix}/${folder}`;
    const shown = `${committed.prefix}/${folder}`;
    const beforeFiles = committed.targets.get(folder);
    const afterFiles = fresh.targets.get(folder);
    const before = beforeFiles ? manifestEntries(label, beforeFiles) : [];
    const after = afterFiles ? manifestEntries(`(fresh synth) ${shown}`, afterFiles) : [];
    const objects = diffObjects(before, after);
    const effects: Effect[] = [];
    let status: TargetStatus;
    if (!afterFiles) {
      status = 'removed';
      effects.push(removedTargetEffect(folder, objects));
    } else {
      const values = fresh.values.get(folder)!;
      status = !beforeFiles ? 'added' : objects.length > 0 ? 'changed' : 'unchanged';
      if (status === 'added') effects.push(newTargetEffect(folder, objects));
      else {
        effects.push(...storageEffects(shown, `${label}/${CLUSTER_FILE}`, beforeFiles!.get(CLUSTER_FILE), values));
        effects.push(...operatorUpgradeEffects(shown, beforeFiles!.get(OPERATOR_FILE), beforeFiles!.get(CLUSTER_FILE), values));
        effects.push(...objectEffects(objects, targetFacts(folder, values)));
      }
      const rules = ruleEffects(shown, beforeFiles ? manifests(label, before) : undefined, manifests(shown, after), values);
      effects.push(...rules.effects);
      standing.push(...rules.standing);
    }
    const merged = mergeRollingRestart(effects).sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    targets.push({ target: folder, status, objects, effects: merged });
  }
  return {
    base: { ref: committed.ref, commit: committed.commit },
    dist: committed.prefix,
    targets,
    warnings: [...fresh.warnings, ...new Set(standing)],
    changed: targets.some((target) => target.status !== 'unchanged'),
    refused: targets.some((target) => target.effects.some((effect) => effect.severity === 'refuse')),
  };
}

/**
 * The exit status of `npm run plan`, by the one table of exit codes (lib/errors/user-error.ts): OK when nothing
 * changes, CHANGES when something does and nothing is refused, INVALID_INPUT when a change is refused (as synth
 * exits for it).
 */
export function planExitCode(report: PlanReport): ExitCode {
  if (report.refused) return ExitCode.INVALID_INPUT;
  return report.changed ? ExitCode.CHANGES : ExitCode.OK;
}
