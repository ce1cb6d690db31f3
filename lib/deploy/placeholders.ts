import { gitOpsTools } from '../stack/gitops/tools';
import { type LoadedValues, ValuesError } from '../values';

/**
 * Refuses to preview or promote a target that would carry a shipped example to a cluster: Argo CD Applications (its
 * `argocd/` folder) that still point at the example `gitops.repoURL`, a repository on an account that is not the
 * user's, which Argo CD would sync from once someone applies the folder; or alerts (`metrics.enabled`) whose
 * `runbook_url` is still under the example `metrics.alerts.runbookBaseUrl`, pages that are not the user's. Synth
 * writes them without a word so that a fresh clone's first run stays quiet; this is the last step before a
 * cluster, so it stops here, naming each key and the file to edit. Flux targets do not carry the repository URL
 * (their Kustomizations name a GitRepository), so they pass that one.
 */
export function refusePlaceholders(loaded: LoadedValues, folder: string): void {
  const argocd = gitOpsTools(loaded.values).argocd;
  const refused = loaded.placeholders.filter((p) => p.carriedBy === 'alerts' || argocd);
  if (refused.length === 0) return;
  throw new ValuesError(
    refused.map((placeholder) => ({
      file: placeholder.file,
      keyPath: placeholder.keyPath,
      message:
        placeholder.carriedBy === 'argocd'
          ? `is still the shipped example ${placeholder.value}, and the Argo CD Applications in ${folder}/argocd/ point at it: ` +
            `set your GitOps repository in ${placeholder.file}, run deploy:build, then try again (${placeholder.doc})`
          : `is still the shipped example ${placeholder.value}, and every alert's runbook_url in ${folder}/ points under it: ` +
            `set where your runbooks are served in ${placeholder.file}, run deploy:build, then try again (${placeholder.doc})`,
    })),
  );
}
