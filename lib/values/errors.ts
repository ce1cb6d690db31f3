import { ExitCode, UserError } from '../errors/user-error';

/** One thing wrong with the values, located as precisely as we can. */
export interface ValuesProblem {
  /** The file the value came from, relative to the working directory; `(merged)` when no single file set it. */
  readonly file: string;
  /** Dotted key path, e.g. `storage.size`; empty for the whole document. */
  readonly keyPath: string;
  readonly message: string;
  /** The targets (`environment/provider`) the problem stops, when several were built. @default - not shown */
  readonly targets?: readonly string[];
  /**
   * Where the key's value came from, when `file` is not a values file (a refusal names the committed target,
   * `dist/prod/vultr`): the values files that set it. @default - not shown
   */
  readonly source?: ValuesSource;
}

/** The values files that set a key of one target's values, and the files that could have. */
export interface ValuesSource {
  /** The files that set the key, in merge order: the last one's value is the one in force. Empty: the default. */
  readonly setIn: readonly string[];
  /** The target's values files, in merge order (base ◄ provider ◄ environment). */
  readonly layers: readonly string[];
}

/** `set in values/environments/prod.yaml, over values/base.yaml`, or, for a default, the files none of which sets it. */
export function formatSource(source: ValuesSource): string {
  const [last, ...earlier] = [...source.setIn].reverse();
  if (last === undefined) return `its default, set in none of ${source.layers.join(', ')}`;
  return earlier.length === 0 ? `set in ${last}` : `set in ${last}, over ${earlier.reverse().join(', ')}`;
}

export function formatProblem(problem: ValuesProblem): string {
  const key = problem.source ? `${problem.keyPath} (${formatSource(problem.source)})` : problem.keyPath;
  const text = key ? `${problem.file}: ${key}: ${problem.message}` : `${problem.file}: ${problem.message}`;
  return problem.targets ? `${text} [${problem.targets.length === 1 ? 'target' : 'targets'} ${problem.targets.join(', ')}]` : text;
}

/**
 * The problems of several targets, each reported once with the targets it affects: a mistake in base.yaml is one
 * line naming every target, not one line per target. First-seen order.
 */
export function problemsAcrossTargets(
  perTarget: ReadonlyArray<{ readonly target: string; readonly problems: readonly ValuesProblem[] }>,
): ValuesProblem[] {
  const merged = new Map<string, { problem: ValuesProblem; targets: string[] }>();
  for (const { target, problems } of perTarget) {
    for (const problem of problems) {
      const key = JSON.stringify([problem.file, problem.keyPath, problem.message]);
      const entry = merged.get(key) ?? { problem, targets: [] };
      if (!entry.targets.includes(target)) entry.targets.push(target);
      merged.set(key, entry);
    }
  }
  return [...merged.values()].map(({ problem, targets }) => ({ ...problem, targets }));
}

/**
 * The one error type for user mistakes in values, targets and command-line arguments.
 * Its message lists every problem found, one per line, each naming the file and the key path. Exits INVALID_INPUT.
 */
export class ValuesError extends UserError {
  public readonly problems: readonly ValuesProblem[];

  constructor(problems: readonly ValuesProblem[]) {
    super(problems.map(formatProblem).join('\n'), ExitCode.INVALID_INPUT);
    this.name = 'ValuesError';
    this.problems = problems;
  }

  static single(file: string, keyPath: string, message: string): ValuesError {
    return new ValuesError([{ file, keyPath, message }]);
  }
}
