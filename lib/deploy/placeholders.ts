import { gitOpsTools } from '../stack/gitops/tools';
import { type LoadedValues, ValuesError } from '../values';
import { EXAMPLE_AWS_ACCOUNT, type Placeholder } from '../values/placeholders';

/** What carries each kind of example to the cluster, and what to set instead (`folder`: the target's dist folder). */
const CARRIED: Record<Placeholder['carriedBy'], (folder: string, file: string) => string> = {
  argocd: (folder, file) => `and the Argo CD Applications in ${folder}/argocd/ point at it: set your GitOps repository in ${file}`,
  alerts: (folder, file) => `and every alert's runbook_url in ${folder}/ points under it: set where your runbooks are served in ${file}`,
  'service-account': (folder, file) =>
    `a role in AWS's example account ${EXAMPLE_AWS_ACCOUNT}, not yours, and the Restate pods' service account in ${folder}/ ` +
    'would assume it: ' +
    `set the role your cluster's workload identity grants them in ${file}`,
};

/**
 * Refuses to preview or promote a target that would carry a shipped example to a cluster: Argo CD Applications (its
 * `argocd/` folder) that still point at the example `gitops.repoURL`, a repository on an account that is not the
 * user's, which Argo CD would sync from once someone applies the folder; or alerts (`metrics.enabled`) whose
 * `runbook_url` is still under the example `metrics.alerts.runbookBaseUrl`, pages that are not the user's; or a
 * workload identity annotation that names a role in AWS's example account, which the pods would assume. Synth
 * writes them without a word so that a fresh clone's first run stays quiet; this is the last step before a
 * cluster, so it stops here, naming each key and the file to edit. Flux targets do not carry the repository URL
 * (their Kustomizations name a GitRepository), so they pass that one.
 */
export function refusePlaceholders(loaded: LoadedValues, folder: string): void {
  const argocd = gitOpsTools(loaded.values).argocd;
  const refused = loaded.placeholders.filter((p) => p.carriedBy !== 'argocd' || argocd);
  if (refused.length === 0) return;
  throw new ValuesError(
    refused.map((placeholder) => ({
      file: placeholder.file,
      keyPath: placeholder.keyPath,
      message: `is still the shipped example ${placeholder.value}, ${CARRIED[placeholder.carriedBy](folder, placeholder.file)}, run deploy:build, then try again (${placeholder.doc})`,
    })),
  );
}
