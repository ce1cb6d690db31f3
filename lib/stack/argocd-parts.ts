import type { ApiObjectMetadata } from 'cdk8s';
import type { ApplicationSpecSyncPolicy } from '../../imports/argoproj.io';
import { SYNC_WAVE } from './argocd-annotations';

/** Sync retries of every Application the stack writes: a wave can fail once while the cluster catches up. */
export const SYNC_RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } } as const;

/**
 * Metadata of an Argo CD object the stack writes (Application, AppProject): its name in the namespace of the
 * Argo CD installation, with a sync wave annotation when one is given.
 */
export function argocdMetadata(name: string, argocdNamespace: string, wave?: string): ApiObjectMetadata {
  return { name, namespace: argocdNamespace, ...(wave !== undefined ? { annotations: { [SYNC_WAVE]: wave } } : {}) };
}

/** What differs between the sync policies of the stack's Applications. */
export interface AutomatedSyncOptions {
  /** Whether Argo CD deletes what left the source (`automated.prune`). */
  readonly prune: boolean;
  /** `syncOptions`. @default - none */
  readonly syncOptions?: readonly string[];
  /** How many times a failed sync is retried. @default SYNC_RETRY.limit */
  readonly retryLimit?: number;
}

/**
 * The sync policy of every Application the stack writes: automated with self-heal (Argo CD syncs by itself and
 * undoes drift), retried with SYNC_RETRY's backoff.
 */
export function automatedSync(options: AutomatedSyncOptions): ApplicationSpecSyncPolicy {
  return {
    automated: { prune: options.prune, selfHeal: true },
    ...(options.syncOptions ? { syncOptions: [...options.syncOptions] } : {}),
    retry: { limit: options.retryLimit ?? SYNC_RETRY.limit, backoff: { ...SYNC_RETRY.backoff } },
  };
}
