/**
 * Day-one deploy commands for one target (an environment on a provider):
 *
 *   npm run deploy:build|deploy:preview|deploy:promote|provision|status -- --environment dev --provider vultr
 *
 * Called by the mise tasks (mise.toml) and the npm scripts. Each command has its own --help.
 */
import { parseDeployArgs } from './args';
import { DeployError } from './errors';
import { runDeploy } from './commands';
import { KubectlProcess } from './process';
import { consoleReporter } from './session';
import { toolsOnPath } from './tools';

function main(argv: readonly string[]): number {
  let args;
  try {
    args = parseDeployArgs(argv);
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    process.stderr.write(`deploy: ${error.message}\n`);
    return error.exitCode;
  }
  if ('help' in args) {
    process.stdout.write(`${args.help}\n`);
    return 0;
  }
  return runDeploy(args, { kubectl: new KubectlProcess(), report: consoleReporter, helmExecutable: process.env.HELM, tools: toolsOnPath() });
}

process.exitCode = main(process.argv.slice(2));
