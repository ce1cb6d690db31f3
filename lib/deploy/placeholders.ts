import { gitOpsTools } from '../stack/gitops/tools';
import { EXAMPLE_REPO_DOC, type LoadedValues, ValuesError } from '../values';

/**
 * Refuses to preview or promote a target whose Argo CD Applications (its `argocd/` folder) still point at a shipped
 * example (`gitops.repoURL`): a repository on an account that is not the user's, which Argo CD would sync from once
 * someone applies the folder. Synth writes it without a word so that a fresh clone's first run stays quiet; this
 * is the last step before a cluster, so it stops here, naming the key and the file to edit. Flux targets do not
 * carry the URL (their Kustomizations name a GitRepository), so they pass.
 */
export function refusePlaceholders(loaded: LoadedValues, folder: string): void {
  if (loaded.placeholders.length === 0 || !gitOpsTools(loaded.values).argocd) return;
  throw new ValuesError(
    loaded.placeholders.map((placeholder) => ({
      file: placeholder.file,
      keyPath: placeholder.keyPath,
      message:
        `is still the shipped example ${placeholder.value}, and the Argo CD Applications in ${folder}/argocd/ point at it: ` +
        `set your GitOps repository in ${placeholder.file}, run deploy:build, then try again (${EXAMPLE_REPO_DOC})`,
    })),
  );
}
