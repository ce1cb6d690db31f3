import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { ICustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { crds as crds174 } from '../../imports/crds/restate.dev-v1.7.4';
import { crds as crds281 } from '../../imports/crds/restate.dev-v2.8.1';
import type { OperatorVersion } from '../../lib/values';

type Schema = Record<string, unknown>;

/** The CRD of `kind` among `crds` (a module of imports/crds/), and its schema at `version` if it serves that version. */
export function crdSchema(crds: readonly ICustomResourceDefinition[], kind: string, version: string) {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  const served = crd?.spec.versions.find((v) => v.name === version && v.served);
  return crd && { crd, schema: served?.schema?.openAPIV3Schema as Schema | undefined };
}

/** The RestateCluster CRD of each operator version and its v1 schema, as `npm run import` wrote them into imports/crds/. */
const RESTATE_CLUSTER_V1 = {
  '1.7.4': crdSchema(crds174, 'RestateCluster', 'v1')!,
  '2.8.1': crdSchema(crds281, 'RestateCluster', 'v1')!,
} satisfies Record<OperatorVersion, unknown>;
const crd174 = RESTATE_CLUSTER_V1['1.7.4'].crd;

/** Keywords of Kubernetes structural schemas; ajv accepts them as annotations (CEL rules are not evaluated). */
export const KUBERNETES_KEYWORDS = [
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
];

/** Scope of the RestateCluster CRD, from the imported CRD (the same in every modelled version). */
export const RESTATE_CLUSTER_SCOPE = crd174.spec.scope as 'Cluster' | 'Namespaced';
export const RESTATE_CLUSTER_API_VERSION = `${crd174.spec.group}/v1`;
export const RESTATE_CLUSTER_KIND = crd174.spec.names.kind;

/**
 * A copy of `schema` in which every object schema that lists `properties` and says nothing about other keys
 * forbids them. The API server prunes unknown fields of a CRD silently; here a misspelt key is an error.
 */
export function forbidUnknownFields(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (isSchema(copy.properties)) {
    const open = 'additionalProperties' in copy || copy['x-kubernetes-preserve-unknown-fields'] === true;
    if (!open) copy.additionalProperties = false;
    copy.properties = mapValues(copy.properties, forbidUnknownFields);
  }
  if (isSchema(copy.items)) copy.items = forbidUnknownFields(copy.items);
  if (isSchema(copy.additionalProperties)) copy.additionalProperties = forbidUnknownFields(copy.additionalProperties);
  for (const key of ['anyOf', 'allOf', 'oneOf'] as const) {
    const branches = copy[key];
    if (Array.isArray(branches)) copy[key] = branches.map((branch) => (isSchema(branch) ? forbidUnknownFields(branch) : branch));
  }
  return copy;
}

/** The v1 object schema made strict; `metadata` keeps the CRD's (open) schema, as the API server treats it apart. */
function strictRootSchema(version: OperatorVersion): Schema {
  const root = RESTATE_CLUSTER_V1[version].schema!;
  const strict = forbidUnknownFields(root);
  const properties = strict.properties as Record<string, Schema>;
  strict.properties = {
    apiVersion: { type: 'string', const: RESTATE_CLUSTER_API_VERSION },
    kind: { type: 'string', const: RESTATE_CLUSTER_KIND },
    ...properties,
    metadata: (root.properties as Record<string, Schema>).metadata,
  };
  strict.required = ['apiVersion', 'kind', ...((strict.required as string[] | undefined) ?? [])];
  return strict;
}

const compiled = new Map<OperatorVersion, ValidateFunction>();

function validator(version: OperatorVersion): ValidateFunction {
  if (!compiled.has(version)) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
    ajv.addVocabulary(KUBERNETES_KEYWORDS);
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
    compiled.set(version, ajv.compile(strictRootSchema(version)));
  }
  return compiled.get(version)!;
}

/** Errors of a RestateCluster against the CRD schema of operator `version` with unknown fields forbidden. */
export function validateRestateCluster(object: unknown, version: OperatorVersion = '1.7.4'): string[] {
  const validate = validator(version);
  return validate(object) ? [] : (validate.errors ?? []).map(formatAjvError);
}

export function formatAjvError(error: ErrorObject): string {
  const path = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') {
    return `${error.instancePath}/${String(error.params.additionalProperty)}: unknown field`;
  }
  if (error.keyword === 'enum') {
    return `${path}: ${error.message} (${(error.params.allowedValues as unknown[]).join(', ')})`;
  }
  return `${path}: ${error.message}`;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapValues(record: Schema, fn: (value: Schema) => Schema): Schema {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, isSchema(value) ? fn(value) : value]));
}
