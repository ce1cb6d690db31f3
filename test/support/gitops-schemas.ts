/**
 * Validators for the Argo CD and Flux kinds the stack writes, from the CRDs vendored in crds/ (their schemas
 * are generated into imports/<group>.schema.json by `npm run import:gitops`), with unknown fields forbidden
 * as for the RestateCluster: the API server prunes a misspelt field of a custom resource silently.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import argoproj from '../../imports/argoproj.io.schema.json';
import helm from '../../imports/helm.toolkit.fluxcd.io.schema.json';
import kustomize from '../../imports/kustomize.toolkit.fluxcd.io.schema.json';
import source from '../../imports/source.toolkit.fluxcd.io.schema.json';
import { KUBERNETES_KEYWORDS, formatAjvError, forbidUnknownFields } from './restate-cluster-schema';

type Schema = Record<string, unknown>;

interface SchemaFile {
  readonly group: string;
  readonly kinds: Record<string, { readonly scope: string; readonly versions: Record<string, unknown> }>;
}

const FILES: readonly SchemaFile[] = [argoproj, helm, kustomize, source] as unknown as SchemaFile[];

export interface GitOpsKindSchema {
  readonly scope: 'Cluster' | 'Namespaced';
  validate(object: unknown): string[];
}

const compiled = new Map<string, ValidateFunction>();

/** The validator of `apiVersion`/`kind` when a vendored CRD serves it, else undefined. */
export function gitOpsKindSchema(apiVersion: string, kind: string): GitOpsKindSchema | undefined {
  const [group, version] = apiVersion.split('/');
  const file = FILES.find((f) => f.group === group);
  const crd = file?.kinds[kind];
  const root = version === undefined ? undefined : (crd?.versions[version] as Schema | undefined);
  if (!crd || !root) return undefined;
  return {
    scope: crd.scope as 'Cluster' | 'Namespaced',
    validate(object) {
      const key = `${apiVersion}/${kind}`;
      let validate = compiled.get(key);
      if (!validate) {
        const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
        ajv.addVocabulary(KUBERNETES_KEYWORDS);
        for (const format of ['int32', 'int64', 'date-time', 'duration', 'uri', 'byte']) ajv.addFormat(format, () => true);
        const strict = forbidUnknownFields(root);
        strict.properties = {
          ...(strict.properties as Schema),
          apiVersion: { type: 'string', const: apiVersion },
          kind: { type: 'string', const: kind },
          metadata: { type: 'object' },
        };
        strict.required = [
          'apiVersion',
          'kind',
          'metadata',
          ...((strict.required as string[] | undefined) ?? []).filter((k) => k !== 'metadata'),
        ];
        validate = ajv.compile(strict);
        compiled.set(key, validate);
      }
      return validate(object) ? [] : (validate.errors ?? []).map(formatAjvError);
    },
  };
}
