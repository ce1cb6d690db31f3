import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { relative } from 'node:path';
import type { ValuesProblem } from './errors';

/** A path for messages: relative to the working directory when below it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Reads a file that must be a regular file of at most `maxBytes` bytes. Returns its bytes, or a problem naming
 * the file when it is missing, a folder, a dangling symbolic link, a FIFO or device (which would block the
 * read forever), unreadable, or too large. It is opened non-blocking and checked through the open descriptor,
 * so what is checked is what is read.
 */
export function readRegularFile(file: string, shown: string, maxBytes: number): Buffer | ValuesProblem {
  const problem = (message: string): ValuesProblem => ({ file: shown, keyPath: '', message });
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return problem(danglingLink(file) ?? 'does not exist');
    if (code === 'EACCES') return problem('cannot be read (permission denied)');
    if (code === 'ELOOP') return problem('is a symbolic link that loops');
    return problem(`cannot be opened: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return problem('is a folder, not a file');
    if (!stat.isFile())
      return problem(
        `is a ${stat.isFIFO() ? 'FIFO (named pipe)' : stat.isSocket() ? 'socket' : 'device'}, not a regular file; reading it could wait forever`,
      );
    if (stat.size > maxBytes)
      return problem(`is ${stat.size} bytes; at most ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB) are allowed`);
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) return problem(`grew beyond ${maxBytes} bytes while being read`);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    return problem(`cannot be read: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** "is a symbolic link to X, which does not exist", when `file` is one; undefined otherwise. */
export function danglingLink(file: string): string | undefined {
  try {
    if (!lstatSync(file).isSymbolicLink()) return undefined;
    return `is a symbolic link to ${readlinkSync(file)}, which does not exist`;
  } catch {
    return undefined;
  }
}
