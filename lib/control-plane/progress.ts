/** Progress lines of a long step (the control plane build), on stderr. */
export interface Progress {
  /** A line that stays. */
  line(text: string): void;
  /** The current state: rewritten in place on a terminal; elsewhere (CI logs) printed at most every `everyMs`. */
  update(text: string): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr, everyMs = 30_000): Progress {
  const tty = stream.isTTY === true;
  let shown = false;
  let lastPrinted = 0;
  let pending: string | undefined;
  return {
    line(text) {
      if (tty && shown) stream.write('\r\x1b[K');
      else if (pending !== undefined) stream.write(`${pending}\n`);
      shown = false;
      pending = undefined;
      stream.write(`${text}\n`);
    },
    update(text) {
      if (tty) {
        stream.write(`\r\x1b[K${text}`);
        shown = true;
        return;
      }
      const now = Date.now();
      if (now - lastPrinted >= everyMs) {
        stream.write(`${text}\n`);
        lastPrinted = now;
        pending = undefined;
      } else {
        pending = text;
      }
    },
  };
}

/** Progress that goes nowhere (tests, and callers that print their own). */
export const silentProgress: Progress = { line() {}, update() {} };
