/**
 * Day-one deploy commands for one target (an environment on a provider):
 *
 *   npm run deploy:build|deploy:preview|deploy:promote|provision|status|recover -- --environment dev --provider vultr
 *
 * Called by the mise tasks (mise.toml) and the npm scripts. Each command has its own --help.
 */
import { parseDeployArgs, reportedCommand } from './args';
import { DeployError } from './errors';
import { runDeploy } from './commands';
import { KubectlProcess } from './process';
import { consoleReporter } from './session';
import { toolsOnPath } from './tools';
import { closeSync, openSync, readSync } from 'node:fs';
import type { Confirm } from './recover';

/** Asks on the terminal (recover); with no terminal on standard input there is nobody to ask. */
const askOnTerminal: Confirm = (question) => {
  if (!process.stdin.isTTY) return 'no-tty';
  process.stderr.write(question);
  const fd = openSync('/dev/tty', 'r');
  try {
    const buffer = Buffer.alloc(256);
    let answer = '';
    while (!answer.includes('\n')) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      answer += buffer.subarray(0, read).toString('utf8');
    }
    return /^\s*y(es)?\s*$/i.test(answer.split('\n')[0] ?? '');
  } finally {
    closeSync(fd);
  }
};

function main(argv: readonly string[]): number {
  let args;
  try {
    args = parseDeployArgs(argv);
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    process.stderr.write(`${reportedCommand(argv)}: ${error.message}\n`);
    return error.exitCode;
  }
  if ('help' in args) {
    process.stdout.write(`${args.help}\n`);
    return 0;
  }
  return runDeploy(args, {
    kubectl: new KubectlProcess(),
    report: consoleReporter,
    helmExecutable: process.env.HELM,
    confirm: askOnTerminal,
    tools: toolsOnPath(),
    checkContextExists: true,
  });
}

process.exitCode = main(process.argv.slice(2));
