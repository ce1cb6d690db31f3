import { Construct } from 'constructs';
import {
  Kustomization,
  KustomizationSpecDecryptionProvider,
  KustomizationSpecSourceRefKind,
} from '../../../imports/kustomize.toolkit.fluxcd.io';

/** An object a Kustomization waits for (kstatus: Current), whether or not it applied it. */
export interface FluxHealthCheck {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** @default none - a cluster-scoped object */
  readonly namespace?: string;
}

export interface FluxStepKustomizationProps {
  readonly name: string;
  readonly fluxNamespace: string;
  /** The GitRepository (in the Flux namespace) that holds the GitOps repository. */
  readonly gitRepository: string;
  /** Path of the step folder in that repository, `./`-prefixed. */
  readonly path: string;
  /** The reconcile interval (drift correction), a Go duration. */
  readonly interval: string;
  /** Kustomizations (in the Flux namespace) that must be Ready first. */
  readonly dependsOn: readonly string[];
  /** What must be Current before this step is Ready (and the steps that depend on it start). */
  readonly healthChecks: readonly FluxHealthCheck[];
  /** Delete what leaves the folder; off for the RestateCluster, whose deletion deletes its data. */
  readonly prune: boolean;
  /**
   * Recreate objects whose immutable fields changed (the provisioning Job).
   * @default false
   */
  readonly force?: boolean;
  /**
   * Decrypt SOPS-encrypted files with the private key in this Secret of the Flux namespace.
   * @default none - no decryption
   */
  readonly sopsSecret?: string;
}

/** How long a step waits for its health checks before it fails and is retried. */
export const FLUX_STEP_TIMEOUT = '10m';
/** How soon a failed step (or one whose dependency is not Ready yet) is tried again. */
export const FLUX_RETRY_INTERVAL = '1m';

/**
 * One step of a target under Flux: a Kustomization over one step folder (`<target>/flux/<step>/`), after the
 * steps it depends on and Ready once its health checks are Current.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/
 */
export class FluxStepKustomization extends Construct {
  public readonly apiObject: Kustomization;

  constructor(scope: Construct, id: string, props: FluxStepKustomizationProps) {
    super(scope, id);
    this.apiObject = new Kustomization(this, 'Resource', {
      metadata: { name: props.name, namespace: props.fluxNamespace },
      spec: {
        interval: props.interval,
        retryInterval: FLUX_RETRY_INTERVAL,
        timeout: FLUX_STEP_TIMEOUT,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: props.gitRepository },
        path: props.path,
        prune: props.prune,
        ...(props.force ? { force: true } : {}),
        ...(props.dependsOn.length > 0 ? { dependsOn: props.dependsOn.map((name) => ({ name })) } : {}),
        ...(props.healthChecks.length > 0 ? { healthChecks: props.healthChecks.map((check) => ({ ...check })) } : {}),
        ...(props.sopsSecret
          ? { decryption: { provider: KustomizationSpecDecryptionProvider.SOPS, secretRef: { name: props.sopsSecret } } }
          : {}),
      },
    });
  }
}
