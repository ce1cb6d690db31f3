import type { StackValues, WarningId } from '../../values';

/** One Kubernetes object of a target, as parsed from its YAML (plain data). */
export type ManifestObject = Readonly<Record<string, any>>;

/** A target's manifests: every object of its chart files, in file (= apply) order. */
export interface TargetManifests {
  /** Where they were read, for messages: `HEAD:dist/prod/aws` or a staging folder. */
  readonly label: string;
  readonly objects: readonly ManifestObject[];
}

/** A change of one target, from what is committed to what synth is about to write. */
export interface TargetChange {
  /** The target folder as shown to the user (`dist/prod/aws`); findings name it as their file. */
  readonly target: string;
  /** The committed target (git, `--base REF` or HEAD); undefined for a target never committed. */
  readonly before?: TargetManifests;
  /** The freshly synthesized target. */
  readonly after: TargetManifests;
  /** The values `after` was synthesized from. */
  readonly values: StackValues;
}

interface FindingBase {
  /** What is wrong, why, and what to do instead: the refusal synth prints, or the effect `npm run plan` lists. */
  readonly message: string;
  /** The values key the finding is about (`replicas`, `image`), when there is one. */
  readonly keyPath?: string;
}

/** A change synth refuses (exit 2, nothing written). */
export interface ChangeRefusal extends FindingBase {
  /** The rule's name (`replicas-decrease`, …), stable for tools such as `npm run plan`. */
  readonly rule: string;
  readonly severity: 'refuse';
}

/** A change synth writes, with a warning. */
export interface ChangeWarning extends FindingBase {
  /** The warning's id (docs/warnings.md), stable for tools such as `npm run plan`. */
  readonly rule: WarningId;
  readonly severity: 'warn';
  /** The line synth prints for it: a few words of what to do, the same for every target it holds on. */
  readonly text: string;
}

/** What one rule found: `refuse` stops synth, `warn` goes with the other warnings. */
export type ChangeFinding = ChangeRefusal | ChangeWarning;

/** A change rule: pure, reads only the change. */
export type ChangeRule = (change: TargetChange) => readonly ChangeFinding[];
