import { parseImageReference } from './image';
import { zoneQuorumRisk } from './locations';
import type { Warning } from './warning-ids';

/** What the warnings need of the validated values. */
interface WarnedValues {
  readonly image: string;
  readonly replicas: number;
  readonly metadata: { readonly store: string };
  readonly provisioning: { readonly automated: boolean };
  readonly networkPeers?: { readonly ingress?: readonly unknown[]; readonly admin?: readonly unknown[] };
  readonly operator: { readonly version: string };
  readonly locations?: { readonly zones: readonly string[] };
}

/** An exact release: MAJOR.MINOR.PATCH, with an optional pre-release part (1.4.4, 1.5.0-rc.1). */
const EXACT_PATCH = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;

/** A patch release to suggest for a tag: 1.4 → 1.4.4 (the last of the line the stack ships), 1.7 → 1.7.Z. */
function pinnedExample(tag: string): string {
  if (tag === '1.4') return '1.4.4';
  return /^v?\d+\.\d+$/.test(tag) ? `${tag}.Z` : 'X.Y.Z';
}

/**
 * Warnings about valid values of one target that are probably not what a production cluster wants, one per
 * finding (docs/warnings.md has each id's full text). Pure.
 */
export function valuesWarnings(values: WarnedValues, target: string): Warning[] {
  const warnings: Warning[] = [];
  const warn = (id: Warning['id'], text: string) => warnings.push({ id, target, text });
  if (values.replicas % 2 === 0) {
    warn('even-replicas', `replicas ${values.replicas} is even: no safer than ${values.replicas - 1}; use an odd count`);
  }
  if (values.metadata.store === 'object-store' && values.provisioning.automated) {
    warn('provisioning-ignored', 'provisioning.automated is ignored (object-store); remove it');
  }
  const image = parseImageReference(values.image);
  if (typeof image !== 'string') {
    if (!image.tag) warn('unversioned-image', 'image has no version tag; write name:X.Y.Z@sha256:…');
    else if (!EXACT_PATCH.test(image.tag))
      warn('floating-image-tag', `image tag ${image.tag} may move; pin a patch, e.g. ${pinnedExample(image.tag)}`);
  }
  if (values.networkPeers?.ingress?.length === 0) warn('open-ingress', 'networkPeers.ingress: [] lets anyone call; list the callers');
  if (values.networkPeers?.admin?.length === 0) warn('open-admin', 'networkPeers.admin: [] opens the admin API to all; list the callers');
  const zoneRisk = zoneQuorumRisk({ ...values, operatorVersion: values.operator.version });
  if (zoneRisk === 'too-few-zones')
    warn('zone-quorum-at-risk', 'too few zones for the pods: one zone holds a metadata majority; list more zones');
  if (zoneRisk === 'no-cap') warn('zone-quorum-at-risk', 'operator 1.7.4 cannot cap pods per zone: one may hold a metadata majority');
  return warnings;
}
