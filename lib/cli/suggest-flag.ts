import { closest } from '../values/suggest';

/**
 * The message for an error of node:util parseArgs, with a "did you mean" for an unknown option that is a likely
 * typo of a known one (`--envronment` → `--environment`). `known` are the long option names, without dashes.
 */
export function unknownFlagMessage(error: Error, known: readonly string[]): string {
  const code = (error as Error & { code?: string }).code;
  const flag = /^Unknown option '(-{1,2})([^'=]+)/.exec(error.message);
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !flag) return error.message;
  // A prefix of exactly one known option (`--env`) first, else the closest by edit distance (`--envronment`).
  const prefixed = known.filter((name) => name.startsWith(flag[2]!));
  const suggestion = flag[1] !== '--' ? undefined : prefixed.length === 1 ? prefixed[0] : closest(flag[2]!, known);
  return `unknown option ${flag[1]}${flag[2]}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`;
}
