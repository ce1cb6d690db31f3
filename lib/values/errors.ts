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
}

export function formatProblem(problem: ValuesProblem): string {
  const text = problem.keyPath ? `${problem.file}: ${problem.keyPath}: ${problem.message}` : `${problem.file}: ${problem.message}`;
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
