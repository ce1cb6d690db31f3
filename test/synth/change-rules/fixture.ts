import { loadTargetValues, type StackValues } from '../../../lib/values';
import type { ManifestObject, TargetChange, TargetManifests } from '../../../lib/synth/change-rules';
import { FIXTURE_VALUES } from '../../support/values-dir';

/** The tests' values of a target (test/fixtures/values), with some keys replaced (a shallow merge per top-level key). */
export function valuesOf(target: string, patch: Partial<Record<keyof StackValues, unknown>> = {}): StackValues {
  const [environment, provider] = target.split('/') as [string, string];
  const { values } = loadTargetValues(FIXTURE_VALUES, environment, provider);
  return { ...values, ...patch } as StackValues;
}

/** A RestateCluster as synth writes it, reduced to what the rules read. */
export function cluster(
  spec: {
    replicas?: number;
    image?: string;
    config?: string;
    compute?: Record<string, unknown>;
    annotations?: Record<string, string>;
  } = {},
): ManifestObject {
  return {
    apiVersion: 'restate.dev/v1',
    kind: 'RestateCluster',
    metadata: { name: 'restate-prod', annotations: spec.annotations ?? { 'argocd.argoproj.io/sync-wave': '0' } },
    spec: {
      compute: { image: spec.image ?? 'restatedev/restate:1.4', replicas: spec.replicas ?? 5, ...spec.compute },
      storage: { storageRequestBytes: 107374182400 },
      config: spec.config ?? 'default-replication = 3\n',
    },
  };
}

export const job = (name: string): ManifestObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: 'restate-operator' },
});

export const manifests = (label: string, ...objects: ManifestObject[]): TargetManifests => ({ label, objects });

/** A change of dist/prod/aws from `before` to `after` with `values`. */
export function change(values: StackValues, after: readonly ManifestObject[], before?: readonly ManifestObject[]): TargetChange {
  return {
    target: 'dist/prod/aws',
    before: before ? manifests('HEAD:dist/prod/aws', ...before) : undefined,
    after: manifests('dist/prod/aws', ...after),
    values,
  };
}
