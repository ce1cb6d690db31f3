/**
 * Reads the relative links of markdown files and checks them against the repository: the target file must exist
 * and, with a `#fragment`, hold a heading whose GitHub anchor is that fragment.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Lines outside fenced code blocks (``` or ~~~), which hold neither headings nor links. */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line);
    if (opener) {
      if (fence === undefined) fence = opener[1][0];
      else if (opener[1][0] === fence) fence = undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(text: string): string {
  return text
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a markdown text's headings; a repeated heading gets `-1`, `-2`, … as on GitHub. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = headingAnchor(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The targets of inline links `[text](target)` outside code, without a title part. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) targets.push(match[1]);
  }
  return targets;
}

/** One problem per broken relative link of `file`, naming the file, the link and what is wrong. */
export function brokenLinks(file: string, repoRoot: string): string[] {
  const problems: string[] = [];
  const shown = relative(repoRoot, file);
  for (const target of linkTargets(readFileSync(file, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and other absolute links
    const [pathPart, fragment] = target.split('#', 2);
    const linked = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    if (!linked.startsWith(resolve(repoRoot))) {
      problems.push(`${shown}: ${target}: points outside the repository`);
      continue;
    }
    if (!existsSync(linked)) {
      problems.push(`${shown}: ${target}: ${relative(repoRoot, linked)} does not exist`);
      continue;
    }
    if (fragment === undefined || fragment === '') continue;
    if (statSync(linked).isDirectory() || !linked.endsWith('.md')) {
      problems.push(`${shown}: ${target}: an anchor into a file that is not markdown`);
      continue;
    }
    if (!anchorsOf(readFileSync(linked, 'utf8')).has(fragment)) {
      problems.push(`${shown}: ${target}: ${relative(repoRoot, linked)} has no heading with anchor #${fragment}`);
    }
  }
  return problems;
}

/** README.md and every markdown file under docs/, as absolute paths. */
export function docFiles(repoRoot: string, docNames: string[]): string[] {
  return [join(repoRoot, 'README.md'), ...docNames.map((name) => join(repoRoot, 'docs', name))];
}

/** The comment of one YAML line: from a `#` at its start or after a blank, to the end (good enough for values files). */
function yamlComment(line: string): string | undefined {
  const match = /(^|\s)#(.*)$/.exec(line);
  return match ? match[2] : undefined;
}

/**
 * One problem per comment of a YAML file that points to documentation and misses: a `path.md` (from the repository
 * root) that does not exist, a `#anchor` that is no heading of it, a section named in quotes instead of by anchor,
 * and a bare "README" (no file named). Comments that name no document are not looked at.
 */
export function brokenCommentReferences(file: string, repoRoot: string): string[] {
  const problems: string[] = [];
  const shown = relative(repoRoot, file);
  // A comment may wrap: join each block of comment lines, keeping the number of its first line.
  const blocks: { line: number; text: string }[] = [];
  let continues = false;
  for (const [index, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    const comment = yamlComment(line);
    const wholeLine = /^\s*#/.test(line);
    if (comment !== undefined && wholeLine && continues) blocks[blocks.length - 1].text += ` ${comment.trim()}`;
    else if (comment !== undefined) blocks.push({ line: index + 1, text: comment.trim() });
    continues = comment !== undefined && wholeLine;
  }
  for (const { line, text } of blocks) {
    const where = `${shown}:${line}`;
    if (/\bREADME\b(?!\.md)/.test(text)) problems.push(`${where}: names "README" without a file: write its path, e.g. README.md#heading`);
    for (const match of text.matchAll(/(?<![\w/.-])((?:[\w.-]+\/)*[\w.-]+\.md)(?:#([\w-]+))?/g)) {
      const [reference, path, fragment] = match;
      const after = text.slice((match.index ?? 0) + reference.length);
      if (/^\)?[\s,:(]*"[^"]+"/.test(after)) problems.push(`${where}: ${reference}: names a section in quotes; name it as ${path}#anchor`);
      const linked = resolve(repoRoot, path);
      if (!existsSync(linked)) {
        problems.push(`${where}: ${reference}: ${path} does not exist`);
        continue;
      }
      if (fragment !== undefined && !anchorsOf(readFileSync(linked, 'utf8')).has(fragment)) {
        problems.push(`${where}: ${reference}: ${path} has no heading with anchor #${fragment}`);
      }
    }
  }
  return problems;
}
