/** The shipped image tag (1.4) draws a warning on every target; tests of other warnings look past it. */
export const withoutImageTagWarning = (warnings: readonly string[]): string[] =>
  warnings.filter((w) => !/: image: .* is not an exact patch version/.test(w));

/**
 * Past the warnings the shipped values always draw: the image tag, and on the vultr targets (several nodes, no
 * snapshot repository) that logs cannot be trimmed.
 */
export const withoutShippedWarnings = (warnings: readonly string[]): string[] =>
  withoutImageTagWarning(warnings).filter((w) => !/: snapshots\.enabled: is false on \d+ nodes: without a snapshot repository/.test(w));
