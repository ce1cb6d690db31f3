// @ts-check
'use strict';
// Preloaded with `node --require` into the process being measured: at exit, writes the process's peak
// resident set size (KiB, from getrusage) to the file named by BENCH_RSS_FILE.
const { writeFileSync } = require('node:fs');

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`));
}
