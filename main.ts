/**
 * restate-stack: synthesizes dist/<environment>/<provider>/ from values/.
 *
 *   npm run synth                                            every target in values/targets.yaml
 *   npm run synth -- --environment dev --provider vultr      one target
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseSynthArgs, SYNTH_USAGE } from './lib/synth/args';
import { runSynth } from './lib/synth/run';
import { outcomeLines } from './lib/synth/outcome';
import { isSynthFile } from './lib/target-folder/files';
import { ManifestError } from './lib/target-folder/manifest-error';
import { ExitCode } from './lib/errors/user-error';
import { ValuesError, warningLines } from './lib/values';

function main(argv: readonly string[]): number {
  try {
    const args = parseSynthArgs(argv, process.env);
    if (args === 'help') {
      process.stdout.write(`${SYNTH_USAGE}\n`);
      return 0;
    }
    const result = runSynth(args, { helmExecutable: process.env.HELM });
    for (const line of warningLines(result.warnings, result.written)) process.stderr.write(`${line}\n`);
    for (const line of outcomeLines(args.outdir, result.outcomes, result.removed)) process.stdout.write(`${line}\n`);
    copyForCdk8sCli(args.outdir, result.written);
    return 0;
  } catch (error) {
    if (error instanceof ValuesError) {
      process.stderr.write(`synth: invalid input, nothing written:\n${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ManifestError) {
      process.stderr.write(`synth: a manifest cannot be read back, nothing written:\n${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`synth: failed, nothing written: ${(error as Error).message}\n`);
    return ExitCode.FAILED;
  }
}

/**
 * Under plain `cdk8s synth`, cdk8s-cli deletes its output folder (CDK8S_OUTDIR; cdk8s.yaml points it at the
 * git-ignored .synth-cdk8s-cli/) before running this app, then lists (and validates) the manifests it finds there.
 * The output itself is written above into dist/, the safe way; cdk8s-cli gets a copy of what was written. (Under
 * `cdk8s synth -o DIR` synth wrote DIR itself, and there is nothing to copy.)
 */
function copyForCdk8sCli(outdir: string, written: readonly string[]): void {
  const cli = process.env.CDK8S_OUTDIR;
  if (!cli || resolve(cli) === resolve(outdir)) return;
  for (const folder of written) {
    mkdirSync(join(cli, folder), { recursive: true });
    for (const name of readdirSync(join(outdir, folder)).filter(isSynthFile))
      copyFileSync(join(outdir, folder, name), join(cli, folder, name));
  }
}

process.exitCode = main(process.argv.slice(2));
