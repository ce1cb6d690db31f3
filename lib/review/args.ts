import { parseArgs } from 'node:util';
import { ValuesError } from '../values';
import { emptyFlag, emptyFlagMessage, TARGET_OPTIONS } from '../cli/target-options';
import { unknownFlagMessage } from '../cli/suggest-flag';

export const PLAN_FORMATS = ['markdown', 'json'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export interface PlanArgs {
  /**
   * The git revision whose committed targets the fresh synth is compared with.
   * @default HEAD
   */
  readonly base: string;
  readonly format: PlanFormat;
  readonly valuesDir: string;
  /** The committed output folder (as in git; its files on disk are never read nor written). */
  readonly dist: string;
}

const OPTIONS = {
  base: { type: 'string', default: 'HEAD' },
  format: { type: 'string', default: 'markdown' },
  dist: { type: 'string', default: 'dist' },
  'values-dir': TARGET_OPTIONS['values-dir'],
  help: TARGET_OPTIONS.help,
} as const;

export const PLAN_USAGE = `usage: npm run plan -- [--base REF] [--format markdown|json] [--values-dir DIR] [--dist DIR]

  Synthesizes every target of <values-dir>/targets.yaml into a private temporary folder (never <dist>) and
  compares it with the targets committed under <dist> at git revision REF: per target, which objects and fields
  change and what each change does to a running cluster (rolling restarts, steps to run, refusals, what a
  removed target deletes). See docs/plan.md.

  --base REF          git revision to compare with (default: HEAD; in a pull request, its merge base)
  --format FORMAT     markdown (for a pull-request comment; the default) or json (for tools)
  --values-dir DIR    values folder (default: values)
  --dist DIR          the committed output folder (default: dist)
  -h, --help          this text

exit status: 0 nothing changes; 3 something changes, nothing refused; 2 invalid input, or a change that synth
or the API server would refuse (the report still says which); 1 the plan could not be made (git failed, …)`;

function usage(message: string): ValuesError {
  return ValuesError.single('(command line)', '', `${message}\n${PLAN_USAGE}`);
}

/** Parses plan's command line; mistakes are ValuesErrors naming the flag. */
export function parsePlanArgs(argv: readonly string[]): PlanArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    throw usage(unknownFlagMessage(error as Error, Object.keys(OPTIONS)));
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const empty = emptyFlag(values, ['base', 'format', 'values-dir', 'dist']);
  if (empty) throw usage(emptyFlagMessage(empty));
  if (!(PLAN_FORMATS as readonly string[]).includes(values.format!)) {
    throw usage(`--format must be one of ${PLAN_FORMATS.join(', ')}, got "${values.format}"`);
  }
  return { base: values.base!, format: values.format as PlanFormat, valuesDir: values['values-dir']!, dist: values.dist! };
}
