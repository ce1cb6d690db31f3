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

/**
 * The example base of the alerts' runbook links that values/base.yaml ships: this project's docs on an account
 * that is not the user's. An alert whose `runbook_url` points there sends the on-call to a page that is not
 * theirs (or to nothing). Refused by deploy:preview and deploy:promote for a target that ships the alerts
 * (`metrics.enabled`), named by `npm run plan`.
 */
export const EXAMPLE_RUNBOOK_BASE_URL = 'https://github.com/example/restate-stack/blob/main/docs/runbooks.md';

/** Where docs/runbooks.md says what to set the base to. */
export const EXAMPLE_RUNBOOK_DOC = 'docs/runbooks.md#where-the-runbook-links-point';

/** A key of one target's values that still holds a shipped example. */
export interface Placeholder {
  /** `gitops.repoURL`, `metrics.alerts.runbookBaseUrl`. */
  readonly keyPath: string;
  readonly value: string;
  /** The values file that set it (the last layer that did). */
  readonly file: string;
  /** What carries it to a cluster: the Argo CD Applications (`argocd`) or the PrometheusRule's alerts (`alerts`). */
  readonly carriedBy: 'argocd' | 'alerts';
  /** The docs section that says what to set. */
  readonly doc: string;
}

/** The same URL, give or take case, a trailing `/` or `.git`. */
const normalized = (url: string) =>
  url
    .trim()
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');

/** The keys of `values` that hold a shipped example (the runbook base only where the alerts ship). Pure. */
export function placeholdersOf(
  values: {
    readonly gitops: { readonly repoURL: string };
    readonly metrics: { readonly enabled: boolean; readonly alerts: { readonly runbookBaseUrl: string } };
  },
  sourceOf: (path: string[]) => string,
): Placeholder[] {
  const found: Placeholder[] = [];
  if (normalized(values.gitops.repoURL) === normalized(EXAMPLE_REPO_URL)) {
    found.push({
      keyPath: 'gitops.repoURL',
      value: values.gitops.repoURL,
      file: sourceOf(['gitops', 'repoURL']),
      carriedBy: 'argocd',
      doc: EXAMPLE_REPO_DOC,
    });
  }
  const runbooks = values.metrics.alerts.runbookBaseUrl;
  if (values.metrics.enabled && normalized(runbooks) === normalized(EXAMPLE_RUNBOOK_BASE_URL)) {
    found.push({
      keyPath: 'metrics.alerts.runbookBaseUrl',
      value: runbooks,
      file: sourceOf(['metrics', 'alerts', 'runbookBaseUrl']),
      carriedBy: 'alerts',
      doc: EXAMPLE_RUNBOOK_DOC,
    });
  }
  return found;
}
