import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../lib/errors/user-error';
import { renderMarkdown } from '../../lib/review/render';
import { planExitCode, reviewChanges } from '../../lib/review/review';
import { checkTargetChange, type TargetChange } from '../../lib/synth/change-rules';
import { runSynth } from '../../lib/synth/run';
import { FIXTURE_VALUES } from '../support/values-dir';
import { git } from '../support/git-repo';

// Plan takes its refusals and warnings from synth's change rules (lib/synth/change-rules), one implementation for
// both. Here the rules are replaced by a recorder, to prove our side of that contract: what plan passes in, and
// how it reports what comes out. The rules themselves are tested in test/synth/.
jest.mock('../../lib/synth/change-rules', () => ({ checkTargetChange: jest.fn(() => []) }));
const rules = checkTargetChange as jest.MockedFunction<typeof checkTargetChange>;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'restate-stack-plan-rules-'));
  cpSync(FIXTURE_VALUES, join(root, 'values'), { recursive: true });
  writeFileSync(
    join(root, 'values', 'targets.yaml'),
    'targets:\n  - { environment: dev, provider: vultr }\n  - { environment: prod, provider: vultr }\n',
  );
  git(root, ['init', '-q']);
  runSynth({ valuesDir: join(root, 'values'), outdir: join(root, 'dist'), allowStorageChange: false });
  git(root, ['add', '-A']);
  git(root, ['commit', '-qm', 'dist']);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("plan reports what synth's change rules find", () => {
  test("each target's change reaches the rules with the committed and the fresh objects and the values", () => {
    // GIVEN a change of prod's replicas
    const file = join(root, 'values', 'environments', 'prod.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('replicas: 5', 'replicas: 7'));
    rules.mockClear();
    try {
      // WHEN planning
      reviewChanges({ base: 'HEAD', format: 'json', valuesDir: join(root, 'values'), dist: join(root, 'dist') });
    } finally {
      writeFileSync(file, original);
    }
    // THEN the rules saw every target's change once (and its null change, to tell standing warnings), prod with
    // replicas 5 before and 7 after, labelled as synth labels them
    const calls = rules.mock.calls.map(([change]) => change as TargetChange).filter((change) => change.after !== change.before);
    expect(calls.map((change) => change.target)).toEqual(['dist/dev/vultr', 'dist/prod/vultr']);
    const prod = calls[1]!;
    const replicas = (objects: readonly Record<string, any>[] | undefined) =>
      objects?.find((o) => o.kind === 'RestateCluster')?.spec.compute.replicas;
    expect(replicas(prod.before?.objects)).toBe(5);
    expect(replicas(prod.after.objects)).toBe(7);
    expect(prod.before?.label).toBe('HEAD:dist/prod/vultr');
    expect(prod.values).toMatchObject({ environment: 'prod', provider: 'vultr', replicas: 7 });
  });

  test('a refusal of a rule is a refused effect with its rule name, first, and makes the exit status INVALID_INPUT', () => {
    // GIVEN rules that refuse prod, warn about dev's change, and warn about dev whatever the change (standing
    // warnings, one of them acknowledged by the vultr values)
    rules.mockImplementation((change) =>
      change.target.endsWith('prod/vultr')
        ? [{ rule: 'replicas-decrease', severity: 'refuse', keyPath: 'replicas', message: 'decreases replicas without the drain commit' }]
        : [
            ...(change.after !== change.before
              ? [{ rule: 'image-minor-upgrade' as const, severity: 'warn' as const, message: 'a backup first', text: 'back up' }]
              : []),
            { rule: 'placement-no-spread', severity: 'warn', message: 'nothing spreads the pods', text: 'keep placement.spreadOver' },
            { rule: 'snapshots-off', severity: 'warn', message: 'multi-node without snapshots', text: 'never trim' },
          ],
    );
    // WHEN planning with no values change at all
    const report = reviewChanges({ base: 'HEAD', format: 'json', valuesDir: join(root, 'values'), dist: join(root, 'dist') });
    // THEN the findings are in the report as effects, and the refusal decides the exit status
    const prod = report.targets.find((t) => t.target === 'prod/vultr')!;
    expect(prod.effects[0]).toEqual({
      kind: 'refused',
      severity: 'refuse',
      rule: 'replicas-decrease',
      summary: `replicas (set in ${join(root, 'values/environments/prod.yaml')}, over ${join(root, 'values/base.yaml')}): decreases replicas without the drain commit`,
    });
    expect(report.targets.find((t) => t.target === 'dev/vultr')!.effects).toEqual([
      { kind: 'warning', severity: 'warn', rule: 'image-minor-upgrade', summary: 'a backup first' },
    ]);
    // and the standing warnings are listed once, with their targets as synth names them; the acknowledged one with
    // its reason; prod/vultr's acknowledgement, whose warning did not fire there, is stale
    const vultrFile = join(root, 'values', 'providers', 'vultr.yaml');
    expect(report.warnings).toEqual([
      { id: 'placement-no-spread', targets: ['dev/vultr'], text: 'keep placement.spreadOver' },
      {
        id: 'stale-acknowledgement',
        targets: ['prod/vultr'],
        text:
          `remove snapshots-off from ${vultrFile}, or, where it still holds on other targets that file reaches, take it back on these alone ` +
          "with `snapshots-off: null` under warnings.acknowledge in their environment's file",
      },
    ]);
    expect(report.acknowledged).toEqual([
      { id: 'snapshots-off', targets: ['dev/vultr'], reason: expect.stringMatching(/^Vultr Object Storage/), file: vultrFile },
    ]);
    expect(planExitCode(report)).toBe(ExitCode.INVALID_INPUT);
    // and the Markdown shows the refused target although nothing of it changes, and not the merely warned one
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('### `prod/vultr`: unchanged');
    expect(markdown).toContain('**Refused** `replicas-decrease`: replicas (set in ');
    expect(markdown).toContain('values/base.yaml): decreases replicas without the drain commit');
    expect(markdown).not.toContain('### `dev/vultr`');
    expect(markdown).toContain('<details><summary>Warnings: 2; acknowledged: 1</summary>');
    expect(markdown).toContain('- placement-no-spread on dev/vultr: keep placement.spreadOver (docs/warnings.md#placement-no-spread)');
    expect(markdown).toMatch(
      /- acknowledged snapshots-off on dev\/vultr \(.*providers\/vultr\.yaml\): "Vultr Object Storage, .*" \(docs\/warnings\.md#snapshots-off\)\n/,
    );
  });

  test('a change warning the values acknowledge is no effect: plan lists it as acknowledged', () => {
    // GIVEN a rule that warns snapshots-off for dev's change only (not standing), which the vultr values acknowledge
    rules.mockImplementation((change) =>
      change.target.endsWith('dev/vultr') && change.after !== change.before
        ? [{ rule: 'snapshots-off', severity: 'warn', message: 'multi-node without snapshots', text: 'never trim' }]
        : [],
    );
    // WHEN planning
    const report = reviewChanges({ base: 'HEAD', format: 'json', valuesDir: join(root, 'values'), dist: join(root, 'dist') });
    // THEN it is not an effect of dev, it is acknowledged, and only prod's acknowledgement is stale
    expect(report.targets.find((t) => t.target === 'dev/vultr')!.effects).toEqual([]);
    expect(report.acknowledged.map((a) => [a.id, a.targets])).toEqual([['snapshots-off', ['dev/vultr']]]);
    expect(report.warnings.map((w) => [w.id, w.targets])).toEqual([['stale-acknowledgement', ['prod/vultr']]]);
  });
});
