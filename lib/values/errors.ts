/** One thing wrong with the values, located as precisely as we can. */
export interface ValuesProblem {
  /** The file the value came from, relative to the working directory; `(merged)` when no single file set it. */
  readonly file: string;
  /** Dotted key path, e.g. `storage.size`; empty for the whole document. */
  readonly keyPath: string;
  readonly message: string;
}

export function formatProblem(problem: ValuesProblem): string {
  return problem.keyPath ? `${problem.file}: ${problem.keyPath}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

/**
 * The one error type for user mistakes in values, targets and command-line arguments.
 * Its message lists every problem found, one per line, each naming the file and the key path.
 */
export class ValuesError extends Error {
  public readonly problems: readonly ValuesProblem[];

  constructor(problems: readonly ValuesProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ValuesError';
    this.problems = problems;
  }

  static single(file: string, keyPath: string, message: string): ValuesError {
    return new ValuesError([{ file, keyPath, message }]);
  }
}
