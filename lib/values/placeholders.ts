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

/**
 * AWS's documented example account (the one its IAM docs' ARNs use), in the role values/providers/aws.yaml ships for
 * IRSA. A cluster whose service account names a role there would have its pods assume a role the user does not
 * own: every snapshot upload fails with AccessDenied once the cluster runs. Refused by deploy:preview and
 * deploy:promote wherever a workload identity annotation names it, named by `npm run plan`.
 */
export const EXAMPLE_AWS_ACCOUNT = '111122223333';

/** Where docs/object-storage-and-credentials.md says what to set instead. */
export const EXAMPLE_ROLE_DOC = 'docs/object-storage-and-credentials.md#set-your-role-first';

/** A key of one target's values that still holds a shipped example. */
export interface Placeholder {
  /** `gitops.repoURL`, `metrics.alerts.runbookBaseUrl`, `objectStorage.credentials.serviceAccountAnnotations["…"]`. */
  readonly keyPath: string;
  readonly value: string;
  /** The values file that set it (the last layer that did). */
  readonly file: string;
  /**
   * What carries it to a cluster: the Argo CD Applications (`argocd`), the PrometheusRule's alerts (`alerts`) or the
   * RestateCluster's service account (`service-account`).
   */
  readonly carriedBy: 'argocd' | 'alerts' | 'service-account';
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

/** An IAM ARN in the example account: `arn:<partition>:iam::111122223333:…`. */
const inExampleAccount = (value: string) => new RegExp(`^arn:[a-z-]+:iam::${EXAMPLE_AWS_ACCOUNT}:`).test(value.trim());

/**
 * The keys of `values` that hold a shipped example (the runbook base only where the alerts ship, a role only where
 * workload identity carries the annotations to the cluster). Pure.
 */
export function placeholdersOf(
  values: {
    readonly gitops: { readonly repoURL: string };
    readonly metrics: { readonly enabled: boolean; readonly alerts: { readonly runbookBaseUrl: string } };
    readonly objectStorage?: {
      readonly credentials?: { readonly source: string; readonly serviceAccountAnnotations?: Readonly<Record<string, string>> };
    };
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
  const credentials = values.objectStorage?.credentials;
  if (credentials?.source === 'workload-identity') {
    for (const [key, value] of Object.entries(credentials.serviceAccountAnnotations ?? {})) {
      if (!inExampleAccount(value)) continue;
      found.push({
        keyPath: `objectStorage.credentials.serviceAccountAnnotations["${key}"]`,
        value,
        file: sourceOf(['objectStorage', 'credentials', 'serviceAccountAnnotations', key]),
        carriedBy: 'service-account',
        doc: EXAMPLE_ROLE_DOC,
      });
    }
  }
  return found;
}
