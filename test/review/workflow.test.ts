import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ExitCode } from '../../lib/errors/user-error';
import { parsePlanArgs } from '../../lib/review/args';
import { MARKDOWN_MARKER } from '../../lib/review/render';
import { shellWords } from '../support/doc-commands';

const DOC = readFileSync(join(resolve(__dirname, '..', '..'), 'docs', 'plan.md'), 'utf8');

/** The workflow the docs show: the yaml block of the section "In a pull request". */
function workflow(): any {
  const section = DOC.slice(DOC.indexOf('## In a pull request'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('docs/plan.md: no yaml block in "In a pull request"');
  return parse(block[1]!);
}

describe('the GitHub Actions workflow of docs/plan.md', () => {
  const steps: Array<Record<string, any>> = workflow().jobs.plan.steps;

  test('runs plan with arguments the real parser accepts, against the merge base, with the full history', () => {
    // GIVEN the plan commands of its run steps, with the shell's $base as a revision
    const commands = steps
      .flatMap((step) => String(step.run ?? '').split('\n'))
      .filter((line) => /npm run -s plan --/.test(line))
      .map((line) => shellWords(line.replace(/\s*>.*$/, '').replace(/"\$base"/, 'HEAD~1')));
    expect(commands).toHaveLength(2);
    // WHEN parsed by plan's own argument parser THEN each is valid, one per format
    const parsed = commands.map((words) => parsePlanArgs(words.slice(words.indexOf('--') + 1)));
    expect(parsed).toEqual([
      expect.objectContaining({ base: 'HEAD~1', format: 'markdown' }),
      expect.objectContaining({ base: 'HEAD~1', format: 'json' }),
    ]);
    expect(String(steps.find((step) => step.id === 'plan')!.run)).toContain('git merge-base "origin/${GITHUB_BASE_REF}" HEAD');
    expect(steps.find((step) => String(step.uses).startsWith('actions/checkout'))!.with['fetch-depth']).toBe(0);
  });

  test('finds its own comment by the marker the Markdown starts with, and fails the check exactly on 1 and 2', () => {
    // GIVEN the comment step and the failing step
    const script = String(steps.find((step) => String(step.uses).startsWith('actions/github-script'))!.with.script);
    const failing = steps.find((step) => /fail on/.test(String(step.name)))!;
    // THEN the marker is the renderer's, and only OK and CHANGES pass
    expect(script).toContain(`const marker = '${MARKDOWN_MARKER}';`);
    expect(failing.if).toBe(`steps.plan.outputs.status != '${ExitCode.OK}' && steps.plan.outputs.status != '${ExitCode.CHANGES}'`);
  });
});
