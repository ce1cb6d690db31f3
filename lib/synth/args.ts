import { parseArgs } from 'node:util';
import { OUTPUT_MARKER } from '../target/files';
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
}

export const SYNTH_USAGE = `usage: npm run synth -- [--environment ENV --provider PROVIDER] [--values-dir DIR] [--outdir DIR] [--base REF] [--allow-storage-change]

  Without --environment/--provider, builds every target listed in <values-dir>/targets.yaml.
  --values-dir DIR         values folder (default: values)
  --outdir DIR             output folder (default: dist); synth writes only into a folder it marked as its own
                           (${OUTPUT_MARKER}), a new or empty one, or one holding nothing but synth's files
  --base REF               git revision whose committed output the storage guard compares with (default: HEAD;
                           in a pull request, its merge base)
  --allow-storage-change   accept a smaller storage.size or another storageClassName than the committed output
                           (only for a cluster you will delete and recreate: the API server refuses the change)`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  outdir: { type: 'string', short: 'o', default: 'dist' },
  base: { type: 'string' },
  'allow-storage-change': { type: 'boolean', default: false },
} as const;

/** Parses synth's command line; mistakes are ValuesErrors naming the flag. */
export function parseSynthArgs(argv: readonly string[]): SynthArgs | 'help' {
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
  return {
    environment: values.environment,
    provider: values.provider,
    valuesDir: values['values-dir']!,
    outdir: values.outdir!,
    allowStorageChange: values['allow-storage-change']!,
    base: values.base,
  };
}
