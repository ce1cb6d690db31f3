/**
 * Day-one deploy commands for one target (an environment on a provider):
 *
 *   tsx lib/deploy/cli.ts build|preview|promote|provision|status --environment dev --provider vultr
 *
 * Called by the mise tasks (mise.toml) and the npm scripts. Run with --help for every option.
 */
import { DEPLOY_USAGE, parseDeployArgs } from './args';
import { DeployError } from './errors';
import { runDeploy } from './commands';
import { KubectlProcess } from './process';
import { consoleReporter } from './session';

function main(argv: readonly string[]): number {
  let args;
  try {
    args = parseDeployArgs(argv);
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    process.stderr.write(`deploy: ${error.message}\n`);
    return error.exitCode;
  }
  if (args === 'help') {
    process.stdout.write(`${DEPLOY_USAGE}\n`);
    return 0;
  }
  return runDeploy(args, { kubectl: new KubectlProcess(), report: consoleReporter, helmExecutable: process.env.HELM });
}

process.exitCode = main(process.argv.slice(2));
