import { parseImageReference } from '../../values';
import { clusterOf, imageOf } from './objects';
import type { WarningId } from '../../values';
import type { ChangeFinding, TargetChange } from './types';

interface Version {
  readonly major: number;
  readonly minor: number;
  /** Undefined for a floating `MAJOR.MINOR` tag. */
  readonly patch?: number;
}

/** The Restate version an image tag names (`1.4`, `1.4.4`, `v1.5.0-rc.1`), or undefined for any other tag. */
export function tagVersion(image: string): Version | undefined {
  const ref = parseImageReference(image);
  if (typeof ref === 'string' || !ref.tag) return undefined;
  const match = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:-[0-9A-Za-z.-]+)?$/.exec(ref.tag);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: match[3] === undefined ? undefined : Number(match[3]) };
}

/** The tag of an image (`1.4`), or `digest` for one pinned by a digest alone, for a short line. */
function tagOf(image: string): string {
  const ref = parseImageReference(image);
  if (typeof ref === 'string') return image;
  return ref.tag ?? 'digest';
}

const show = (v: Version) => `${v.major}.${v.minor}${v.patch === undefined ? '' : `.${v.patch}`}`;

/** -1, 0, 1; a floating tag compares equal to every patch of its minor. */
function compare(a: Version, b: Version): number {
  if (a.major !== b.major) return Math.sign(a.major - b.major);
  if (a.minor !== b.minor) return Math.sign(a.minor - b.minor);
  if (a.patch === undefined || b.patch === undefined) return 0;
  return Math.sign(a.patch - b.patch);
}

const BACKUP = 'take a backup first (docs/operations.md, "Backup and restore")';

/**
 * An image change against the committed target. Restate's upgrade documentation forbids skipping minor
 * versions, and a newer server's data is not for an older one: a skipped minor and a downgrade are refused with
 * the path to follow; a step to the next minor warns to take a backup first; a tag that names no version (a
 * digest alone, a build name) cannot be checked and says so.
 */
export function imageUpgrade(change: TargetChange): ChangeFinding[] {
  const before = clusterOf(change.before);
  const previous = before ? imageOf(before) : undefined;
  const next = change.values.image;
  if (!previous || previous === next) return [];
  const refuse = (message: string): ChangeFinding[] => [{ rule: 'image-version', severity: 'refuse', keyPath: 'image', message }];
  const warn = (rule: WarningId, text: string, message: string): ChangeFinding[] => [
    { rule, severity: 'warn', keyPath: 'image', text, message },
  ];
  const [from, to] = [tagVersion(previous), tagVersion(next)];
  if (!from || !to) {
    const which = [!from ? `${previous} (committed)` : undefined, !to ? next : undefined].filter(Boolean).join(' and ');
    return warn(
      'image-version-unknown',
      `image ${tagOf(previous)} → ${tagOf(next)} is unchecked; back up first`,
      `changes from ${previous} to ${next}, and the tag of ${which} names no Restate version (MAJOR.MINOR[.PATCH]), so synth cannot check that no minor version is skipped ` +
        `and that it is no downgrade; make sure it is at most one minor version up, and ${BACKUP}`,
    );
  }
  const order = compare(to, from);
  if (order < 0) {
    return refuse(
      `changes from ${show(from)} (${previous}, committed in ${change.before!.label}) down to ${show(to)} (${next}): Restate does not support a downgrade; ` +
        `data written by ${show(from)} is not for an older server. Keep ${previous}; to go back, restore a backup taken before the upgrade into a new cluster`,
    );
  }
  if (to.major !== from.major) {
    return warn(
      'image-major-change',
      `image ${show(from)} → ${show(to)}: back up, go minor by minor`,
      `changes the major version from ${show(from)} to ${show(to)}: synth cannot tell whether a minor version lies between them; ` +
        `read Restate's upgrade notes, step through every minor, and ${BACKUP}`,
    );
  }
  if (to.minor > from.minor + 1) {
    const path = Array.from({ length: to.minor - from.minor }, (_, i) => `${from.major}.${from.minor + i + 1}`);
    return refuse(
      `changes from ${show(from)} (${previous}) to ${show(to)} (${next}), skipping ${path.slice(0, -1).join(', ')}: Restate's upgrade documentation forbids skipping minor versions. ` +
        `Step through each one, a commit per minor (${path.join(' → ')}), each rolled out with every partition led again before the next; ${BACKUP}`,
    );
  }
  if (to.minor === from.minor + 1) {
    return warn(
      'image-minor-upgrade',
      `image ${show(from)} → ${show(to)}: take a backup first`,
      `upgrades Restate from ${show(from)} to ${show(to)}: ${BACKUP}; roll it out and check that every partition is led again before the next upgrade`,
    );
  }
  return [];
}
