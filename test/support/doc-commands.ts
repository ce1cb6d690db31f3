/**
 * The shell commands the documentation shows: every fenced `sh` block of a markdown file, cut into commands.
 * A block whose first line is a comment starting with `# needs a cluster` shows commands against a live
 * Kubernetes cluster; a block starting with `# needs ` and something else names another tool CI does not have.
 */

export interface ShellBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** What the block says it needs (`a cluster`, …), from its first-line comment, or undefined. */
  readonly needs?: string;
  /** The commands, one per entry: continuations joined, `&&` chains split, comments and heredoc bodies removed. */
  readonly commands: readonly string[];
  /** Heredoc bodies, in order, for the commands that read them on stdin. */
  readonly heredocs: readonly string[];
}

/** The text of a line up to an unquoted `#` that starts a comment (after a space or at the start). */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Every fenced `sh`/`bash` block of a markdown text. */
export function shellBlocks(file: string, markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i])) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    const needs = /^#\s*needs\s+(.*)$/.exec(body[0] ?? '')?.[1]?.trim();
    const commands: string[] = [];
    const heredocs: string[] = [];
    let pending = '';
    for (let j = 0; j < body.length; j++) {
      const heredoc = /<<-?\s*'?([A-Za-z_]+)'?/.exec(body[j]);
      let text = withoutComment(body[j]).trimEnd();
      if (heredoc) {
        const doc: string[] = [];
        for (j++; j < body.length && body[j].trim() !== heredoc[1]; j++) doc.push(body[j]);
        heredocs.push(`${doc.join('\n')}\n`);
        text = text.replace(/<<-?\s*'?[A-Za-z_]+'?/, '').trimEnd();
      }
      if (text.endsWith('\\')) {
        pending += `${text.slice(0, -1).trim()} `;
        continue;
      }
      const full = `${pending}${text}`.trim();
      pending = '';
      if (full === '') continue;
      commands.push(...full.split(/\s+&&\s+/).map((part) => part.trim()));
    }
    blocks.push({ file, line: start + 1, needs, commands, heredocs });
  }
  return blocks;
}

/** Splits a command into words as a POSIX shell would for plain words and '…' / "…" quotes (no expansions). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const c of command) {
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word = word ?? '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in: ${command}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** One command per line of a shell script, comments and blank lines dropped, whitespace collapsed. */
export function scriptCommands(script: string): string[] {
  return script
    .split('\n')
    .map((line) => withoutComment(line).trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '');
}

/**
 * A command with its whitespace collapsed, `node_modules/.bin/mise` and `npx mise` written as `mise`, and without
 * .ci/run's `in_private_checkout` (which runs the command as it is, from the checkout seen under a 0700 folder).
 */
export function normalizeCommand(command: string): string {
  return command
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/^in_private_checkout /, '')
    .replace(/^(node_modules\/\.bin\/mise|npx mise) /, 'mise ');
}
