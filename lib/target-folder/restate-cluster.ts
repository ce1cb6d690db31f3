import { parseAllDocuments } from 'yaml';
import { memoize } from '../values/memo';

/** The objects of a manifest file, and what is wrong with its YAML. */
export interface ManifestObjects {
  /** The first line of the first YAML syntax error, if any document has one. */
  readonly yamlError?: string;
  /** Every document as a plain value (a document with an error is still read as far as it goes). */
  readonly objects: readonly unknown[];
}

/**
 * Reads the documents of a manifest file (`---`-separated YAML). Each text is parsed once per process and the
 * result is frozen: synth reads a committed file for several guards, and it is byte for byte the fresh one when
 * nothing changed.
 */
export const parseManifest: (text: string) => ManifestObjects = memoize(
  (text: string) => {
    const docs = parseAllDocuments(text);
    const broken = docs.find((doc) => doc.errors.length > 0);
    const objects = docs.map((doc) => doc.toJS() as unknown);
    return broken ? { yamlError: broken.errors[0]!.message.split('\n')[0]!, objects } : { objects };
  },
  (text) => text,
);

export function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The RestateCluster kind, as the operator's CRD names it. */
export const RESTATE_CLUSTER_KIND = 'RestateCluster';

/** The objects of kind RestateCluster; with `apiVersion`, only those of that version. */
export function restateClusters(objects: readonly unknown[], apiVersion?: string): Record<string, any>[] {
  return objects.filter(
    (object): object is Record<string, any> =>
      isRecord(object) && object.kind === RESTATE_CLUSTER_KIND && (apiVersion === undefined || object.apiVersion === apiVersion),
  );
}

/** The Restate setting of a node's location (`location`, through the env), `<region>.<zone>`. */
export const LOCATION_ENV = 'RESTATE_LOCATION';

/** The `RESTATE_LOCATION` value a RestateCluster gives its pods (`<region>.$(POD_ZONE)`), or undefined. */
export function locationOf(cluster: Record<string, any> | undefined): string | undefined {
  const env = cluster?.spec?.compute?.env;
  if (!Array.isArray(env)) return undefined;
  const entry = env.find((e) => isRecord(e) && e.name === LOCATION_ENV);
  return typeof entry?.value === 'string' ? entry.value : undefined;
}

/** The region of a location value such as `eu-central-1.$(POD_ZONE)`: what every node's location must start with. */
export function locationRegion(location: string): string {
  return location.split('.')[0]!;
}
