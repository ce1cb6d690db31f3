import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OUTPUT_MARKER } from '../target-folder/files';
import { ValuesError } from '../values';
import { emptyFlag, emptyFlagMessage, TARGET_OPTIONS } from '../cli/target-options';
import { unknownFlagMessage } from '../cli/suggest-flag';

export interface SynthArgs {
  /** Build only this target (with `provider`), even one not in targets.yaml. */
  readonly environment?: string;
  readonly provider?: string;
  readonly valuesDir: string;
  readonly outdir: string;
  /** Accept a storage change that the API server would refuse for an existing cluster. */
  readonly allowStorageChange: boolean;
  /**
   * The git revision whose committed output the guards compare with.
   * @default HEAD
   */
  readonly base?: string;
  /**
   * The output folder whose committed state the guards compare with, when it is not `outdir`: under
   * `cdk8s synth -o DIR` synth writes DIR, while the cluster runs what is committed in dist/.
   * @default outdir
   */
  readonly guardOutdir?: string;
}

/**
 * `output` of cdk8s.yaml: the git-ignored folder plain `cdk8s synth` deletes first and lists afterwards. When
 * cdk8s-cli runs the app with this CDK8S_OUTDIR, synth writes dist/ and leaves a copy there.
 */
export const CDK8S_CLI_SCRATCH = '.synth-cdk8s-cli';

export const SYNTH_USAGE = `usage: npm run synth -- [-e ENV -p PROVIDER] [--values-dir DIR] [-o DIR] [--base REF] [--allow-storage-change]

  Without --environment/--provider, builds every target listed in <values-dir>/targets.yaml and removes the target
  folders of pairs no longer listed. With both, builds that one target, even one not listed (which the next full
  synth removes again).

  -e, --environment ENV    environment (<values-dir>/environments/ENV.yaml); with --provider
  -p, --provider PROVIDER  provider (<values-dir>/providers/PROVIDER.yaml); with --environment
  --values-dir DIR         values folder (default: values)
  -o, --outdir DIR         output folder (default: dist; under \`cdk8s synth -o DIR\`, DIR); synth writes only into a folder it marked as its own
                           (${OUTPUT_MARKER}), a new or empty one, or one holding nothing but synth's files
  --base REF               git revision whose committed output the storage guard compares with (default: HEAD;
                           in a pull request, its merge base)
  --allow-storage-change   accept a smaller storage.size or another storageClassName than the committed output
                           (only for a cluster you will delete and recreate: the API server refuses the change)
  -h, --help               this text

exit status: 0 written (or unchanged); 2 invalid input, nothing written (an argument, a values file, a change synth
refuses, a committed manifest that cannot be read back); 1 failed, nothing written (helm or git failed, the output
lock held past its wait, …)`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  outdir: { type: 'string', short: 'o' },
  base: { type: 'string' },
  'allow-storage-change': { type: 'boolean', default: false },
} as const;

/**
 * Parses synth's command line; mistakes are ValuesErrors naming the flag. `env` is read for CDK8S_OUTDIR, which
 * cdk8s-cli sets to its output folder: without --outdir, synth writes there (`cdk8s synth -o DIR`), comparing with
 * the committed dist/; the scratch folder of plain `cdk8s synth` ({@link CDK8S_CLI_SCRATCH}) only gets a copy.
 */
export function parseSynthArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): SynthArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    throw ValuesError.single('(command line)', '', `${unknownFlagMessage(error as Error, Object.keys(OPTIONS))}\n${SYNTH_USAGE}`);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const empty = emptyFlag(values, ['environment', 'provider', 'outdir', 'values-dir', 'base']);
  if (empty) throw ValuesError.single('(command line)', '', `${emptyFlagMessage(empty)}\n${SYNTH_USAGE}`);
  if ((values.environment === undefined) !== (values.provider === undefined)) {
    throw ValuesError.single('(command line)', '', '--environment and --provider go together: name both, or neither to build every target');
  }
  const cli = env.CDK8S_OUTDIR;
  const fromCli = values.outdir === undefined && cli && resolve(cli) !== resolve(CDK8S_CLI_SCRATCH) ? cli : undefined;
  return {
    environment: values.environment,
    provider: values.provider,
    valuesDir: values['values-dir']!,
    outdir: values.outdir ?? fromCli ?? 'dist',
    allowStorageChange: values['allow-storage-change']!,
    base: values.base,
    ...(fromCli ? { guardOutdir: 'dist' } : {}),
  };
}
