import { DeployError } from './errors';

export interface ContextChoice {
  /** The context every kubectl call of this run names explicitly. */
  readonly context: string;
  /** Set when the check was overridden with `--allow-context-mismatch`. */
  readonly warning?: string;
}

export interface ContextInputs {
  readonly environment: string;
  /** `--context`, when given. */
  readonly requested?: string;
  /** kubectl's current context; undefined when none is set. */
  readonly current?: string;
  /** `deploy.kubeContext` of the environment (or its `kubeContextByProvider` entry for the target's provider). */
  readonly configured?: string;
  /** Which key set `configured`, for the messages. @default `deploy.kubeContext` */
  readonly configuredKey?: string;
  readonly allowMismatch: boolean;
}

/**
 * Decides which kube context a run talks to, and refuses one that is not the environment's
 * `deploy.kubeContext` unless `--allow-context-mismatch` says that is meant. Pure.
 */
export function chooseContext(inputs: ContextInputs): ContextChoice {
  const { environment, configured, allowMismatch } = inputs;
  const used = inputs.requested ?? inputs.current;
  const key = inputs.configuredKey ?? 'deploy.kubeContext';
  const where = `${key} of environment "${environment}" (values/environments/${environment}.yaml)`;
  if (used === undefined) {
    throw new DeployError(
      `kubectl has no current context. Pass --context ${configured ?? 'NAME'}, or select one with \`kubectl config use-context ${configured ?? 'NAME'}\`.`,
    );
  }
  if (configured === used) return { context: used };

  const problem =
    configured === undefined
      ? `no ${where} is set, so there is nothing to check kube context "${used}" against`
      : `kube context is "${used}" but ${where} is "${configured}"`;
  if (allowMismatch) return { context: used, warning: `${problem}; going on because of --allow-context-mismatch` };
  const fixes =
    configured === undefined
      ? `Set ${key} for "${environment}", or pass --allow-context-mismatch if "${used}" is the cluster you mean.`
      : `Run \`kubectl config use-context ${configured}\` or pass --context ${configured}; ` +
        `pass --allow-context-mismatch only if "${used}" really is the cluster for "${environment}".`;
  throw new DeployError(`refusing to run: ${problem}. ${fixes}`);
}

/** The context a target's values insist on: its provider's entry of `deploy.kubeContextByProvider`, else `deploy.kubeContext`. */
export function configuredContext(
  deploy: {
    readonly kubeContext?: string;
    readonly kubeContextByProvider?: Readonly<Record<string, string>>;
  },
  provider: string,
): Pick<ContextInputs, 'configured' | 'configuredKey'> {
  const byProvider = deploy.kubeContextByProvider?.[provider];
  if (byProvider !== undefined) return { configured: byProvider, configuredKey: `deploy.kubeContextByProvider.${provider}` };
  return { configured: deploy.kubeContext };
}

/**
 * The one-line error for a kube context the kubeconfig does not hold (`kubectl config get-contexts NAME` exited
 * non-zero with `said`): checked once, before any call to a cluster, instead of every call failing on its own.
 */
export function missingContextError(context: string, said: string): DeployError {
  const reason = said.trim().split('\n')[0] || 'no such context';
  return new DeployError(
    `kube context "${context}" does not exist in your kubeconfig (kubectl: ${reason}); ` +
      '`kubectl config get-contexts` lists the ones you have: pass --context NAME, or add this one to your kubeconfig',
  );
}
