/**
 * Validators for the Argo CD and Flux kinds the stack writes, from their CRDs as `npm run import` generated them
 * into imports/crds/, with unknown fields forbidden as for the RestateCluster: the API server prunes a misspelt
 * field of a custom resource silently.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { crds as argoproj } from '../../imports/crds/argoproj.io-v3.5.1';
import { crds as helm } from '../../imports/crds/helm.toolkit.fluxcd.io-v1.6.3';
import { crds as kustomize } from '../../imports/crds/kustomize.toolkit.fluxcd.io-v1.9.4';
import { crds as source } from '../../imports/crds/source.toolkit.fluxcd.io-v1.9.1';
import { crdSchema, formatAjvError, forbidUnknownFields, KUBERNETES_KEYWORDS } from './restate-cluster-schema';

type Schema = Record<string, unknown>;

const CRDS = [...argoproj, ...helm, ...kustomize, ...source];

export interface GitOpsKindSchema {
  readonly scope: 'Cluster' | 'Namespaced';
  validate(object: unknown): string[];
}

const compiled = new Map<string, ValidateFunction>();

/** The validator of `apiVersion`/`kind` when one of these CRDs serves it, else undefined. */
export function gitOpsKindSchema(apiVersion: string, kind: string): GitOpsKindSchema | undefined {
  const [group, version] = apiVersion.split('/');
  const found =
    version === undefined
      ? undefined
      : crdSchema(
          CRDS.filter((crd) => crd.spec.group === group),
          kind,
          version,
        );
  const root = found?.schema;
  if (!found || !root) return undefined;
  return {
    scope: found.crd.spec.scope as 'Cluster' | 'Namespaced',
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
