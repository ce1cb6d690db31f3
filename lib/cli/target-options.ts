/**
 * Command-line options every entry point shares (synth, deploy, verify): which target, and where its values
 * are. For node:util parseArgs.
 */
export const TARGET_OPTIONS = {
  environment: { type: 'string', short: 'e' },
  provider: { type: 'string', short: 'p' },
  'values-dir': { type: 'string', default: 'values' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * The first of `flags` given as an empty string (`--outdir ""`, or an unset shell variable): a usage mistake,
 * never "the default" or "every target".
 */
export function emptyFlag(values: Readonly<Record<string, unknown>>, flags: readonly string[]): string | undefined {
  return flags.find((flag) => values[flag] === '');
}

/** The message for {@link emptyFlag}'s flag. */
export function emptyFlagMessage(flag: string): string {
  return `--${flag} is empty (an unset shell variable?); give it a value, or leave the flag out`;
}
