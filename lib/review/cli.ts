/**
 * restate-stack plan: what a change of the values does, before it merges.
 *
 *   npm run plan                                  compare with the targets committed at HEAD
 *   npm run plan -- --base origin/main --format json
 *
 * Exit status: 0 nothing changes, 3 something changes (nothing refused), 2 invalid input or a refused change,
 * 1 the plan could not be made. See docs/plan.md.
 */
import { ExitCode, UserError } from '../errors/user-error';
import { parsePlanArgs, PLAN_USAGE } from './args';
import { renderJson, renderMarkdown } from './render';
import { planExitCode, reviewChanges } from './review';

function main(argv: readonly string[]): number {
  try {
    const args = parsePlanArgs(argv);
    if (args === 'help') {
      process.stdout.write(`${PLAN_USAGE}\n`);
      return ExitCode.OK;
    }
    const report = reviewChanges(args, { helmExecutable: process.env.HELM });
    process.stdout.write(args.format === 'json' ? renderJson(report) : renderMarkdown(report));
    return planExitCode(report);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`plan: invalid input, no plan:\n${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`plan: failed: ${(error as Error).message}\n`);
    return ExitCode.FAILED;
  }
}

process.exitCode = main(process.argv.slice(2));
