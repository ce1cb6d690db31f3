/**
 * restate-stack: synthesizes dist/<environment>/<provider>/ from values/.
 *
 *   npm run synth                                            every target in values/targets.yaml
 *   npm run synth -- --environment dev --provider vultr      one target
 */
import { join } from 'node:path';
import { parseSynthArgs, SYNTH_USAGE } from './lib/synth/args';
import { runSynth } from './lib/synth/run';
import { ValuesError } from './lib/values';

function main(argv: readonly string[]): number {
  try {
    const args = parseSynthArgs(argv);
    if (args === 'help') {
      process.stdout.write(`${SYNTH_USAGE}\n`);
      return 0;
    }
    const result = runSynth(args, { helmExecutable: process.env.HELM });
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
    for (const folder of result.written) process.stdout.write(`synthesized ${join(args.outdir, folder)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ValuesError) {
      process.stderr.write(`synth: invalid input, nothing written:\n${error.message}\n`);
    } else {
      process.stderr.write(`synth: failed, nothing written: ${(error as Error).message}\n`);
    }
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
