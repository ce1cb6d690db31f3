/**
 * Example values that values/base.yaml ships so that a fresh clone synthesizes, and that must never reach a
 * cluster: the GitOps repository every Argo CD Application points at. It names a repository on an account that
 * is not the user's, so an Application applied with it would sync whatever that account serves, or nothing.
 * Synth writes it without a word (a first run stays quiet); `npm run plan` names it, and deploy:preview and
 * deploy:promote refuse a target whose Argo CD Applications carry it (docs/gitops.md).
 */
export const EXAMPLE_REPO_URL = 'https://github.com/example/platform-gitops.git';

/** Where docs/gitops.md says why the example repository is refused and what to set. */
export const EXAMPLE_REPO_DOC = 'docs/gitops.md#set-your-repository-first';

/** A key of one target's values that still holds a shipped example. */
export interface Placeholder {
  /** `gitops.repoURL`. */
  readonly keyPath: string;
  readonly value: string;
  /** The values file that set it (the last layer that did). */
  readonly file: string;
}

/** The same URL, give or take case, a trailing `/` or `.git`. */
const normalized = (url: string) =>
  url
    .trim()
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');

/** The keys of `values` that hold a shipped example. Pure. */
export function placeholdersOf(
  values: { readonly gitops: { readonly repoURL: string } },
  sourceOf: (path: string[]) => string,
): Placeholder[] {
  if (normalized(values.gitops.repoURL) !== normalized(EXAMPLE_REPO_URL)) return [];
  return [{ keyPath: 'gitops.repoURL', value: values.gitops.repoURL, file: sourceOf(['gitops', 'repoURL']) }];
}
