import { ValuesDir } from './values-dir';

/** A GitOps repository of the tests' own (`.test` is a reserved name: it resolves nowhere). */
export const DEPLOY_REPO_URL = 'https://git.restate-stack.test/platform-gitops.git';

/** Where the tests' runbooks are served (the shipped example base is refused the same way). */
export const DEPLOY_RUNBOOK_BASE_URL = 'https://git.restate-stack.test/platform-docs/runbooks.md';

/** A role in an account of the tests' own (the shipped example account is refused the same way). */
export const DEPLOY_ROLE_ARN = 'arn:aws:iam::000000000000:role/restate-stack-test';

/**
 * A scratch copy of the repository's values/ that deploy:preview and deploy:promote accept: `gitops.repoURL` and
 * `metrics.alerts.runbookBaseUrl` and aws's IRSA role set to the tests' own, since they refuse the shipped examples
 * (lib/deploy/placeholders.ts).
 */
export class DeployValuesDir extends ValuesDir {
  constructor(into?: string) {
    super(into);
    this.set('base.yaml', ['gitops', 'repoURL'], DEPLOY_REPO_URL);
    this.set('base.yaml', ['metrics', 'alerts', 'runbookBaseUrl'], DEPLOY_RUNBOOK_BASE_URL);
    this.set(
      'providers/aws.yaml',
      ['objectStorage', 'credentials', 'serviceAccountAnnotations', 'eks.amazonaws.com/role-arn'],
      DEPLOY_ROLE_ARN,
    );
  }
}

let shared: DeployValuesDir | undefined;

/** One such copy per test process, for the tests that only read it; removed when the process exits. */
export function deployValues(): string {
  if (!shared) {
    const copy = new DeployValuesDir();
    shared = copy;
    process.on('exit', () => copy.remove());
  }
  return shared.path;
}
