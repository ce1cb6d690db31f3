/**
 * Quoting for commands printed in messages for copy and paste: whatever a value holds (a kube context named
 * `prod;rm -rf ~`, a path with spaces), the pasted command passes it as one inert argument.
 */

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as the shell reads it back unchanged: as is when it is plain, else in single quotes. */
export function shellQuote(arg: string): string {
  return PLAIN.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line of quoted arguments. */
export function shellLine(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
