/**
 * Every warning synth (and `npm run plan`, and the deploy commands) can give, by its stable id. Each id has a
 * heading of its own in docs/warnings.md with the full text: what was found, why it matters, what to do. A
 * test keeps the two lists equal.
 *
 * `acknowledgeable`: a standing finding about the values (it fires on every run until the values change), which
 * `warnings.acknowledge.<id>` may acknowledge with a reason. The others are about one change (they stop once it
 * is committed) or about the run itself (the output folder, git): there is nothing lasting to acknowledge.
 */
export const WARNINGS = {
  'floating-image-tag': { acknowledgeable: true },
  'unversioned-image': { acknowledgeable: true },
  'even-replicas': { acknowledgeable: true },
  'open-ingress': { acknowledgeable: true },
  'open-admin': { acknowledgeable: true },
  'provisioning-ignored': { acknowledgeable: true },
  'snapshots-off': { acknowledgeable: true },
  'placement-no-spread': { acknowledgeable: true },
  'zone-quorum-at-risk': { acknowledgeable: true },
  'foreign-files-kept': { acknowledgeable: true },
  'alert-metric-missing': { acknowledgeable: true },
  'scale-in-done': { acknowledgeable: false },
  'locations-migration-done': { acknowledgeable: false },
  'pod-template-roll': { acknowledgeable: false },
  'image-minor-upgrade': { acknowledgeable: false },
  'image-major-change': { acknowledgeable: false },
  'image-version-unknown': { acknowledgeable: false },
  'gitops-adoption-roll': { acknowledgeable: false },
  'no-committed-output': { acknowledgeable: false },
  'guards-read-disk': { acknowledgeable: false },
  'interrupted-synth-recovered': { acknowledgeable: false },
  'unlisted-target': { acknowledgeable: false },
  'stale-acknowledgement': { acknowledgeable: false },
} as const satisfies Record<string, { readonly acknowledgeable: boolean }>;

export type WarningId = keyof typeof WARNINGS;

export const WARNING_IDS = Object.keys(WARNINGS) as WarningId[];

/** An id `warnings.acknowledge` takes. */
export type AcknowledgeableId = { [K in WarningId]: (typeof WARNINGS)[K]['acknowledgeable'] extends true ? K : never }[WarningId];

/** The ids `warnings.acknowledge` takes. */
export const ACKNOWLEDGEABLE_IDS = WARNING_IDS.filter((id): id is AcknowledgeableId => WARNINGS[id].acknowledgeable);

/** The document with one heading per id. */
export const WARNINGS_DOC = 'docs/warnings.md';

/** Where the full text of a warning is: `docs/warnings.md#snapshots-off`. */
export const warningAnchor = (id: WarningId): string => `${WARNINGS_DOC}#${id}`;

/** One finding, as every command prints it: an id, the target it is about, and a few words of what to do. */
export interface Warning {
  readonly id: WarningId;
  /** `<environment>/<provider>`; unset for a warning about the run (the output folder, git). */
  readonly target?: string;
  /**
   * What was found and what to do, in a few words (the full text is under the id in docs/warnings.md). Written
   * without anything particular to the target, so that one finding on several targets is one line.
   */
  readonly text: string;
}
