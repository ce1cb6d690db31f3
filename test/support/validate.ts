/**
 * Validates synthesized Kubernetes objects against upstream schemas, dispatching on apiVersion and kind:
 *
 *   built-in kinds             kubernetes-models@4 (generated from the Kubernetes OpenAPI)
 *   restate.dev/v1 RestateCluster   the CRD schema of the target's operator version
 *                              (imports/crds/restate.dev-v<version>.ts; 1.7.4 unless told), with
 *                              unknown fields forbidden
 *   argoproj.io/v1alpha1,      the Argo CD and Flux CRDs (imports/crds/argoproj.io-*.ts, *.toolkit.fluxcd.io-*.ts),
 *   *.toolkit.fluxcd.io        with unknown fields forbidden
 *   monitoring.coreos.com/v1   @kubernetes-models/prometheus-operator (generated from the Prometheus Operator's CRDs)
 *   anything else              an error: nothing passes unvalidated
 *
 * On top of the schemas: `metadata.name` is required, cluster-scoped kinds carry no `metadata.namespace`,
 * and namespaced kinds carry one (the stack's files are applied without `kubectl -n`).
 * Limitation: the kubernetes-models validators (built-in kinds) do not reject unknown fields.
 */
import { isClusterScoped } from '../../lib/stack/operator/scope';
import type { OperatorVersion } from '../../lib/values';
import { gitOpsKindSchema } from './gitops-schemas';
import {
  RESTATE_CLUSTER_API_VERSION,
  RESTATE_CLUSTER_KIND,
  RESTATE_CLUSTER_SCOPE,
  formatAjvError,
  validateRestateCluster,
} from './restate-cluster-schema';

type Scope = 'Cluster' | 'Namespaced';

interface KindValidator {
  readonly scope: Scope;
  /** Schema errors, each as `<path>: <problem>`. */
  validate(object: Record<string, unknown>): string[];
}

/** A generated model class of the kubernetes-models family. */
interface ModelClass {
  readonly apiVersion?: string;
  readonly kind?: string;
  new (data: unknown): { validate(): void };
}

/** How to validate: which operator's CRD a RestateCluster must satisfy. */
export interface ValidateOptions {
  /** @default "1.7.4" */
  readonly operatorVersion?: OperatorVersion;
}

/** Errors of one object; empty when it is valid. */
export function validateManifest(object: unknown, options: ValidateOptions = {}): string[] {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return ['not an object'];
  const manifest = object as Record<string, unknown>;
  const { apiVersion, kind } = manifest;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion and kind must be strings'];
  const validator = validatorFor(apiVersion, kind, options.operatorVersion ?? '1.7.4');
  if (!validator) return [`no schema known for ${apiVersion} ${kind}; add a validator to test/support/validate.ts`];
  return [...metadataErrors(manifest, kind, validator.scope), ...validator.validate(manifest)];
}

/** Errors of many objects, each prefixed with `<kind> <namespace>/<name>`. */
export function validateManifests(objects: readonly unknown[], options: ValidateOptions = {}): string[] {
  return objects.flatMap((object) => validateManifest(object, options).map((error) => `${label(object)}: ${error}`));
}

/** Fails the test with every error of every object. */
export function expectValidManifests(objects: readonly unknown[], options: ValidateOptions = {}): void {
  expect(objects.length).toBeGreaterThan(0);
  expect(validateManifests(objects, options)).toEqual([]);
}

function metadataErrors(manifest: Record<string, unknown>, kind: string, scope: Scope): string[] {
  const metadata = (manifest.metadata ?? {}) as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof metadata.name !== 'string' || metadata.name === '') errors.push('/metadata/name: is required');
  if (scope === 'Cluster' && metadata.namespace !== undefined) {
    errors.push(`/metadata/namespace: must not be set, ${kind} is cluster-scoped`);
  }
  if (scope === 'Namespaced' && metadata.namespace === undefined) {
    errors.push(`/metadata/namespace: is missing; a namespaced ${kind} would land in the namespace of kubectl's context`);
  }
  return errors;
}

function validatorFor(apiVersion: string, kind: string, operatorVersion: OperatorVersion): KindValidator | undefined {
  if (apiVersion === RESTATE_CLUSTER_API_VERSION && kind === RESTATE_CLUSTER_KIND) {
    return {
      scope: RESTATE_CLUSTER_SCOPE,
      validate: (object) => [...validateRestateCluster(object, operatorVersion), ...objectMetaErrors(object)],
    };
  }
  const match = /^(?:([a-z0-9.-]+)\/)?(v[0-9]+(?:(?:alpha|beta)[0-9]+)?)$/.exec(apiVersion);
  if (!match) return undefined;
  const [, group, version] = match;
  const gitops = gitOpsKindSchema(apiVersion, kind);
  if (gitops) return { scope: gitops.scope, validate: (object) => [...gitops.validate(object), ...objectMetaErrors(object)] };
  if (group === 'argoproj.io' || group?.endsWith('.toolkit.fluxcd.io')) return undefined;
  if (group === 'monitoring.coreos.com') {
    return modelValidator(
      optionalRequire(`@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}`),
      apiVersion,
      kind,
      'Namespaced',
    );
  }
  if (
    group === undefined ||
    group === 'apps' ||
    group === 'batch' ||
    group === 'policy' ||
    group === 'autoscaling' ||
    group.endsWith('.k8s.io')
  ) {
    return modelValidator(loadKubernetes(group, version), apiVersion, kind, isClusterScoped(kind) ? 'Cluster' : 'Namespaced');
  }
  return undefined;
}

function modelValidator(module: unknown, apiVersion: string, kind: string, scope: Scope): KindValidator | undefined {
  const model = (module as Record<string, ModelClass | undefined> | undefined)?.[kind];
  if (typeof model !== 'function' || model.apiVersion !== apiVersion || model.kind !== kind) return undefined;
  return { scope, validate: (object) => modelErrors(() => new model(object).validate()) };
}

/** The RestateCluster's metadata, against the Kubernetes ObjectMeta schema (the CRD leaves it open). */
function objectMetaErrors(object: Record<string, unknown>): string[] {
  const { ObjectMeta } = require('@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta') as { ObjectMeta: ModelClass };
  return modelErrors(() => new ObjectMeta(object.metadata ?? {}).validate()).map((error) => `/metadata${error}`);
}

function modelErrors(validate: () => void): string[] {
  try {
    validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: unknown }).errors;
    if (!Array.isArray(details)) throw error;
    return details.map(formatAjvError);
  }
}

function loadKubernetes(group: string | undefined, version: string): unknown {
  return optionalRequire(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
}

function optionalRequire(specifier: string): unknown {
  try {
    return require(specifier);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' || /Cannot find module/.test(String(error))) return undefined;
    throw error;
  }
}

function label(object: unknown): string {
  const manifest = (object ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const name = [manifest.metadata?.namespace, manifest.metadata?.name].filter((part) => typeof part === 'string').join('/');
  return `${String(manifest.kind ?? '?')} ${name || '?'}`;
}
