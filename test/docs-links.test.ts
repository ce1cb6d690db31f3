import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { anchorsOf, brokenLinks, docFiles, headingAnchor } from './support/markdown-links';

const repoRoot = resolve(__dirname, '..');
const docNames = readdirSync(join(repoRoot, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .sort();

describe('the README and docs/', () => {
  test('every relative link in README.md and docs/*.md resolves to an existing file and heading', () => {
    // GIVEN the README and every document under docs/
    const files = docFiles(repoRoot, docNames);
    // WHEN every relative link is resolved
    const problems = files.flatMap((file) => brokenLinks(file, repoRoot));
    // THEN none is broken
    expect(problems).toEqual([]);
  });

  test('the README stays a front door of at most 200 lines', () => {
    // GIVEN the README
    const lines = readFileSync(join(repoRoot, 'README.md'), 'utf8').replace(/\n$/, '').split('\n');
    // THEN it is at most 200 lines long
    expect(lines.length).toBeLessThanOrEqual(200);
  });

  test('the README links to every document under docs/', () => {
    // GIVEN the README's text
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    // THEN each docs/*.md file is linked from it
    const unlinked = docNames.filter((name) => !readme.includes(`](docs/${name}`));
    expect(unlinked).toEqual([]);
  });
});

describe('the markdown link check', () => {
  test('names a missing file, a missing heading and a link out of the repository, and passes good links', () => {
    // GIVEN a scratch repository with one document linking well and badly
    const root = mkdtempSync(join(tmpdir(), 'docs-links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'b.md'), '# Values reference\n\n## Values reference\n\n```sh\n# not a heading\n```\n');
    writeFileSync(
      join(root, 'README.md'),
      [
        '# Front door',
        '[ok](docs/b.md#values-reference) [ok again](docs/b.md#values-reference-1) [self](#front-door)',
        '[web](https://example.com/x#y) `[in code](missing.md)`',
        '[gone](docs/missing.md) [no heading](docs/b.md#not-a-heading) [out](../elsewhere.md)',
        '',
      ].join('\n'),
    );
    // WHEN the README's links are checked
    const problems = brokenLinks(join(root, 'README.md'), root);
    // THEN exactly the three broken links are reported, each naming the file and the link
    expect(problems).toEqual([
      'README.md: docs/missing.md: docs/missing.md does not exist',
      'README.md: docs/b.md#not-a-heading: docs/b.md has no heading with anchor #not-a-heading',
      'README.md: ../elsewhere.md: points outside the repository',
    ]);
  });

  test('computes GitHub anchors: punctuation and code marks dropped, spaces to hyphens, repeats numbered', () => {
    // GIVEN headings with punctuation, code and a repeat
    const markdown =
      '# Verify: prove the shipped config on real Restate\n## Day one: build, preview, promote\n## `npm run synth`\n## Day one: build, preview, promote\n';
    // THEN their anchors are the ones GitHub gives them
    expect(headingAnchor('What the tests prove, and what they cannot')).toBe('what-the-tests-prove-and-what-they-cannot');
    expect([...anchorsOf(markdown)]).toEqual([
      'verify-prove-the-shipped-config-on-real-restate',
      'day-one-build-preview-promote',
      'npm-run-synth',
      'day-one-build-preview-promote-1',
    ]);
  });
});
