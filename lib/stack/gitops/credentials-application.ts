import { Construct } from 'constructs';
import { Application } from '../../../imports/argoproj.io';
import { argocdMetadata, automatedSync, SYNC_RETRY } from '../argocd-parts';

export interface ArgoCredentialsApplicationProps {
  /** Name of the Application. */
  readonly name: string;
  readonly argocdNamespace: string;
  readonly project: string;
  readonly repoURL: string;
  readonly revision: string;
  /** The folder with the KSOPS kustomization, e.g. `dist/dev/kind/argocd/credentials`. */
  readonly path: string;
  readonly destinationServer: string;
  /** The cluster namespace, which the operator creates. */
  readonly namespace: string;
}

/**
 * A second Application for a SOPS-encrypted credentials Secret, decrypted by KSOPS (docs/gitops.md, "SOPS under
 * Argo CD"). Apart from the target's Application because the Secret lives in the namespace the operator creates
 * once it reconciled the RestateCluster: in the same wave its first apply fails, and the provisioning hook of
 * that wave would wait for pods that cannot start. On its own it retries until the namespace exists.
 */
export class ArgoCredentialsApplication extends Construct {
  public readonly apiObject: Application;

  constructor(scope: Construct, id: string, props: ArgoCredentialsApplicationProps) {
    super(scope, id);
    this.apiObject = new Application(this, 'Resource', {
      metadata: argocdMetadata(props.name, props.argocdNamespace),
      spec: {
        project: props.project,
        source: { repoUrl: props.repoURL, targetRevision: props.revision, path: props.path },
        destination: { server: props.destinationServer, namespace: props.namespace },
        // Retries every few minutes for about 20 minutes: the namespace appears once the operator runs.
        syncPolicy: automatedSync({ prune: true, retryLimit: 2 * SYNC_RETRY.limit }),
      },
    });
  }
}
