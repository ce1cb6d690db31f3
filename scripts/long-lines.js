#!/usr/bin/env node
// @ts-check
// Lists every line of 200 or more characters in the tracked sources (Biome cannot split string literals or comments, so
// its formatter leaves such lines alone): prints file:line: N characters for each and exits 1, or prints nothing and exits 0.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const LIMIT = 200;
const root = join(__dirname, '..');
const files = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.js', '*.cjs', '*.sh'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((file) => file !== '' && !/^(imports|dist)\//.test(file) && existsSync(join(root, file)));

let found = 0;
for (const file of files) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  lines.forEach((line, index) => {
    const length = [...line].length; // characters (code points), not UTF-16 units
    if (length >= LIMIT) {
      console.log(`${file}:${index + 1}: ${length} characters`);
      found += 1;
    }
  });
}
process.exit(found > 0 ? 1 : 0);
