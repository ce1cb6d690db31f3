import { ExitCode } from '../errors/user-error';
import type { RestateStackOptions } from '../stack/stack';
import { CLUSTER_FILE, OPERATOR_FILE } from '../target-folder/files';
import { gitOpsTools } from '../stack/gitops/tools';
import {
  type AcknowledgedGroup,
  applyAcknowledgements,
  formatSource,
  groupAcknowledged,
  groupWarnings,
  operatorVersion,
  provisioner,
  quantityToBytes,
  type Layer,
  type StackValues,
  valuesSource,
  type Warning,
  type WarningGroup,
} from '../values';
import { type ChangeFinding, checkTargetChange, type TargetManifests } from '../synth/change-rules';
import { committedOperatorState, operatorStateOf, operatorUpgradeProblems } from '../synth/operator-upgrade-guard';
import { parseCommittedStorage, storageChangeProblems } from '../synth/storage-guard';
import type { PlanArgs } from './args';
import { committedTargets } from './committed-targets';
import { type Effect, newTargetEffect, objectEffects, removedTargetEffect, type TargetFacts } from './effects';
import { type FreshTargets, freshTargets } from './fresh-targets';
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
  /**
   * The warnings that hold whatever the change, as synth prints them (one per id and text, with its targets): the
   * values' own, and the change rules' that fire as well when nothing changes. Those the values acknowledge are in
   * `acknowledged`; a change's own warnings are effects of its target.
   */
  readonly warnings: readonly WarningGroup[];
  /** The warnings that fired and that the values acknowledge (`warnings.acknowledge`), with the reason. */
  readonly acknowledged: readonly AcknowledgedGroup[];
  /** Keys that still hold a shipped example on targets whose Argo CD Applications carry them: deploy refuses those. */
  readonly placeholders: readonly PlaceholderGroup[];
  /** Every target of targets.yaml, in its order: what "all N targets" counts, as in synth's lines. */
  readonly built: readonly string[];
  /** Whether any target is added, removed or changed. */
  readonly changed: boolean;
  /** Whether any change is refused (synth would exit 2 for it, or the API server would reject it). */
  readonly refused: boolean;
}

/** A shipped example still in the values (`gitops.repoURL`), with the targets whose Argo CD Applications carry it. */
export interface PlaceholderGroup {
  readonly keyPath: string;
  readonly value: string;
  readonly file: string;
  /** The docs section that says what to set. */
  readonly doc: string;
  readonly targets: readonly string[];
}

const SEVERITY_ORDER = { refuse: 0, warn: 1, info: 2 } as const;

/** A refusal's line, as synth prints it: the key, the values files that set it, and why. */
function refusalSummary(keyPath: string, message: string, layers: readonly Layer[]): string {
  return `${keyPath} (${formatSource(valuesSource(layers, keyPath))}): ${message}`;
}

/** The operator upgrade guard's refusals (1.7.4 → 2.8.1 in three commits, never back) as effects. */
function operatorUpgradeEffects(
  shown: string,
  operatorFile: string | undefined,
  clusterFile: string | undefined,
  values: StackValues,
  layers: readonly Layer[],
): Effect[] {
  const before = committedOperatorState(operatorFile, clusterFile);
  return operatorUpgradeProblems(shown, before, operatorStateOf(values)).map(
    (problem): Effect => ({
      kind: 'refused',
      severity: 'refuse',
      rule: 'operator-upgrade',
      summary: refusalSummary(problem.keyPath, problem.message, layers),
    }),
  );
}

/** The storage guard's refusals (shrink, storage class, metadata store) as effects. */
function storageEffects(
  shown: string,
  label: string,
  clusterFile: string | undefined,
  values: StackValues,
  layers: readonly Layer[],
): Effect[] {
  if (clusterFile === undefined) return [];
  const problems = storageChangeProblems(shown, parseCommittedStorage(label, clusterFile), {
    storageRequestBytes: quantityToBytes(values.storage.size),
    storageClassName: values.storage.storageClassName,
    metadataStore: values.metadata.store,
  });
  return problems.map((problem): Effect => {
    const summary = refusalSummary(problem.keyPath, problem.message, layers);
    if (problem.keyPath === 'metadata.store') return { kind: 'data-migration', severity: 'refuse', rule: 'metadata-store', summary };
    return { kind: 'refused', severity: 'refuse', rule: problem.keyPath === 'storage.size' ? 'storage-shrink' : 'storage-class', summary };
  });
}

/**
 * What the change rules of synth (lib/synth/change-rules) find, as effects of the change, and the warnings that hold
 * whatever the change (they fire as well when nothing changes, e.g. a multi-node target without snapshots), which
 * belong with the values' warnings; `fired` is every warning, standing or not, for the acknowledgements. A
 * `pod-template-roll` warning is the same fact as plan's own rolling-restart effect, which names the pods and the
 * fields: that effect carries the rule's name instead.
 */
function ruleEffects(
  folder: string,
  shown: string,
  before: TargetManifests | undefined,
  after: TargetManifests,
  values: StackValues,
  layers: readonly Layer[],
): { effects: Effect[]; standing: Warning[]; fired: Warning[] } {
  const key = (finding: ChangeFinding) => `${finding.rule}\n${finding.keyPath ?? ''}\n${finding.message}`;
  const standing = new Set(
    before
      ? checkTargetChange({ target: shown, before, after: before, values })
          .filter((f) => f.severity === 'warn')
          .map(key)
      : [],
  );
  const effects: Effect[] = [];
  const warnings: Warning[] = [];
  const fired: Warning[] = [];
  for (const finding of checkTargetChange({ target: shown, before, after, values })) {
    const summary = !finding.keyPath
      ? finding.message
      : finding.severity === 'refuse'
        ? refusalSummary(finding.keyPath, finding.message, layers)
        : `${finding.keyPath}: ${finding.message}`;
    if (finding.severity === 'warn') fired.push({ id: finding.rule, target: folder, text: finding.text });
    if (finding.severity === 'warn' && standing.has(key(finding))) warnings.push(fired[fired.length - 1]!);
    else
      effects.push({
        kind: finding.severity === 'refuse' ? 'refused' : 'warning',
        severity: finding.severity,
        rule: finding.rule,
        summary,
      });
  }
  return { effects, standing: warnings, fired };
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
  const built = [...fresh.targets.keys()];
  const targets: TargetReview[] = [];
  const standing: Warning[] = [];
  const fired: Warning[] = [...fresh.warnings];
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
      const layers = fresh.layers.get(folder)!;
      status = !beforeFiles ? 'added' : objects.length > 0 ? 'changed' : 'unchanged';
      if (status === 'added') effects.push(newTargetEffect(folder, objects));
      else {
        effects.push(...storageEffects(shown, `${label}/${CLUSTER_FILE}`, beforeFiles!.get(CLUSTER_FILE), values, layers));
        effects.push(...operatorUpgradeEffects(shown, beforeFiles!.get(OPERATOR_FILE), beforeFiles!.get(CLUSTER_FILE), values, layers));
        effects.push(...objectEffects(objects, targetFacts(folder, values)));
      }
      const rules = ruleEffects(folder, shown, beforeFiles ? manifests(label, before) : undefined, manifests(shown, after), values, layers);
      effects.push(...rules.effects);
      standing.push(...rules.standing);
      fired.push(...rules.fired);
    }
    targets.push({ target: folder, status, objects, effects });
  }
  // As synth: a warning the target's values acknowledge is not shown (plan lists it with its reason), and an
  // acknowledgement of a warning that fired nowhere on its target is a warning of its own.
  const { shown, acknowledged } = applyAcknowledgements(fired, fresh.acknowledgements, true);
  const isAcknowledged = (target: string, rule: string | undefined) => acknowledged.some((a) => a.target === target && a.id === rule);
  const values = new Set(fresh.warnings);
  const listed = shown.filter((warning) => values.has(warning) || standing.includes(warning) || warning.id === 'stale-acknowledgement');
  const reviews = targets.map((review) => {
    const effects = review.effects.filter((effect) => !(effect.kind === 'warning' && isAcknowledged(review.target, effect.rule)));
    const merged = mergeRollingRestart(effects).sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    return { ...review, effects: merged };
  });
  return {
    base: { ref: committed.ref, commit: committed.commit },
    dist: committed.prefix,
    targets: reviews,
    warnings: groupWarnings(listed, built),
    acknowledged: groupAcknowledged(acknowledged, built),
    placeholders: placeholderGroups(fresh, built),
    built,
    changed: reviews.some((target) => target.status !== 'unchanged'),
    refused: reviews.some((target) => target.effects.some((effect) => effect.severity === 'refuse')),
  };
}

/** The shipped examples still in the values, on the targets that carry them (Argo CD Applications, alerts): deploy refuses those. */
function placeholderGroups(fresh: FreshTargets, built: readonly string[]): PlaceholderGroup[] {
  const groups = new Map<string, PlaceholderGroup & { targets: string[] }>();
  for (const folder of built) {
    const argocd = gitOpsTools(fresh.values.get(folder)!).argocd;
    for (const placeholder of fresh.placeholders.get(folder) ?? []) {
      if (placeholder.carriedBy === 'argocd' && !argocd) continue;
      const key = JSON.stringify([placeholder.keyPath, placeholder.value, placeholder.file]);
      const { keyPath, value, file, doc } = placeholder;
      const group = groups.get(key) ?? { keyPath, value, file, doc, targets: [] };
      group.targets.push(folder);
      groups.set(key, group);
    }
  }
  return [...groups.values()];
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
