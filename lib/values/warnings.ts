import { parseImageReference } from './image';

/** What the warnings need of the validated values. */
interface WarnedValues {
  readonly image: string;
  readonly networkPeers?: { readonly ingress?: readonly unknown[]; readonly admin?: readonly unknown[] };
}

/** An exact release: MAJOR.MINOR.PATCH, with an optional pre-release part (1.4.4, 1.5.0-rc.1). */
const EXACT_PATCH = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;

/**
 * Warnings about valid values that are probably not what a production cluster wants, one per finding and
 * target, each naming the target and the file that set the key. `sourceOf` names that file. Pure.
 */
export function targetWarnings(values: WarnedValues, target: string, sourceOf: (path: string[]) => string): string[] {
  const warnings: string[] = [];
  const image = parseImageReference(values.image);
  if (typeof image !== 'string' && !(image.tag && EXACT_PATCH.test(image.tag))) {
    warnings.push(
      `${target}: ${sourceOf(['image'])}: image: ${values.image} ${image.tag ? `has the tag "${image.tag}", which` : 'names no version tag, so it'} is not an exact patch version: ` +
        `a floating tag moves over patch releases (1.4 over 1.4.0…1.4.4, whose restatectl differs), and a restarted pod may pull another one. ` +
        `Pin one, e.g. ${image.domain ? `${image.domain}/` : ''}${image.path}:${image.tag === '1.4' ? '1.4.4' : 'X.Y.Z'} (optionally with @sha256:… digest)`,
    );
  }
  for (const port of ['ingress', 'admin'] as const) {
    if (values.networkPeers?.[port]?.length === 0) {
      warnings.push(
        `${target}: ${sourceOf(['networkPeers', port])}: networkPeers.${port}: [] admits everybody, from any namespace and address, ` +
          `to the ${port === 'ingress' ? 'ingress (port 8080)' : 'admin API (port 9070)'}; list the callers instead (docs/network-access.md)`,
      );
    }
  }
  return warnings;
}
