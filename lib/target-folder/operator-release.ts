import { CRDS_CHART_PATH, CRDS_VERSION_ANNOTATION, OPERATOR_CHART_NAME, OPERATOR_VERSION_ANNOTATION } from './operator-names';
import { isRecord, parseManifest } from './restate-cluster';

/** Which operator a committed target deploys, read back from its operator file (0000-operator.k8s.yaml). */
export interface OperatorRelease {
  /** The operator chart's version; undefined when the file names none. */
  readonly operatorVersion?: string;
  /** The version of the separate CRDs chart; undefined when the CRDs come with the operator chart. */
  readonly crdsVersion?: string;
}

const stripV = (tag: unknown) => (typeof tag === 'string' ? tag.replace(/^v/, '') : undefined);

/**
 * Reads the operator and CRDs chart versions from the objects of an operator file, whatever the delivery:
 * Argo CD Applications (`source.chart` / `source.path`, `targetRevision`), Flux OCIRepository / GitRepository
 * (`ref.tag`), or the helm render (annotations of the operator Namespace).
 */
export function readOperatorRelease(text: string): OperatorRelease {
  let operatorVersion: string | undefined;
  let crdsVersion: string | undefined;
  for (const object of parseManifest(text).objects) {
    if (!isRecord(object)) continue;
    const spec = isRecord(object.spec) ? object.spec : {};
    if (object.kind === 'Application' && isRecord(spec.source)) {
      if (spec.source.chart === OPERATOR_CHART_NAME) operatorVersion = stripV(spec.source.targetRevision);
      if (spec.source.path === CRDS_CHART_PATH) crdsVersion = stripV(spec.source.targetRevision);
    }
    if (
      object.kind === 'OCIRepository' &&
      typeof spec.url === 'string' &&
      spec.url.endsWith(`/${OPERATOR_CHART_NAME}`) &&
      isRecord(spec.ref)
    ) {
      operatorVersion = stripV(spec.ref.tag);
    }
    if (object.kind === 'GitRepository' && typeof spec.url === 'string' && spec.url.endsWith('/restate-operator') && isRecord(spec.ref)) {
      crdsVersion = stripV(spec.ref.tag);
    }
    if (object.kind === 'Namespace' && isRecord(object.metadata) && isRecord(object.metadata.annotations)) {
      const annotations = object.metadata.annotations;
      if (typeof annotations[OPERATOR_VERSION_ANNOTATION] === 'string') operatorVersion = annotations[OPERATOR_VERSION_ANNOTATION];
      if (typeof annotations[CRDS_VERSION_ANNOTATION] === 'string') crdsVersion = annotations[CRDS_VERSION_ANNOTATION];
    }
  }
  return { ...(operatorVersion ? { operatorVersion } : {}), ...(crdsVersion ? { crdsVersion } : {}) };
}
