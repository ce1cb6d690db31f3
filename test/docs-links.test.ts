import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { anchorsOf, brokenCommentReferences, brokenLinks, docFiles, headingAnchor } from './support/markdown-links';

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

/** Every YAML file under `dir`, recursively, sorted. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? yamlFiles(join(dir, entry.name)) : entry.name.endsWith('.yaml') ? [join(dir, entry.name)] : [],
    )
    .sort();
}

describe('the comments of values/', () => {
  test('every document a values-file comment names exists, with the heading it names', () => {
    // GIVEN every values file and its comments
    const files = yamlFiles(join(repoRoot, 'values'));
    expect(files.length).toBeGreaterThan(0);
    // WHEN their references to documents are resolved
    const problems = files.flatMap((file) => brokenCommentReferences(file, repoRoot));
    // THEN each names an existing file, and a heading by its anchor
    expect(problems).toEqual([]);
  });

  test('the check names a missing file, a missing heading, a quoted section and a bare README, and passes good ones', () => {
    // GIVEN a scratch repository with a values file whose comments point well and badly
    const root = mkdtempSync(join(tmpdir(), 'values-comments-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'values.md'), '# Values\n\n## Values reference\n');
    writeFileSync(
      join(root, 'base.yaml'),
      [
        '# Every key: docs/values.md#values-reference (and docs/values.md).',
        'replicas: 3 # see docs/gone.md',
        '# A wrapped comment that names',
        '# docs/values.md#no-such-heading',
        'image: x # README.md ("Values reference")',
        '# see README before switching',
        'url: http://example.com/x # no document here',
        '',
      ].join('\n'),
    );
    // WHEN its comments are checked
    const problems = brokenCommentReferences(join(root, 'base.yaml'), root);
    // THEN exactly the bad references are reported, each with file, line and what is wrong
    expect(problems).toEqual([
      'base.yaml:2: docs/gone.md: docs/gone.md does not exist',
      'base.yaml:3: docs/values.md#no-such-heading: docs/values.md has no heading with anchor #no-such-heading',
      'base.yaml:5: README.md: names a section in quotes; name it as README.md#anchor',
      'base.yaml:5: README.md: README.md does not exist',
      'base.yaml:6: names "README" without a file: write its path, e.g. README.md#heading',
    ]);
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
