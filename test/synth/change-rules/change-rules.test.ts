import { checkTargetChange, type ChangeFinding } from '../../../lib/synth/change-rules';
import { WARNING_LINE_LIMIT, warningLine } from '../../../lib/values';
import { change, cluster, job, valuesOf } from './fixture';

const rules = (findings: readonly ChangeFinding[]) => findings.map((f) => `${f.severity} ${f.rule}`);
const only = (findings: readonly ChangeFinding[], rule: string) => findings.filter((f) => f.rule === rule);
/** prod/aws as shipped: 5 replicas, replication 3, snapshots on, spread over hostname and zone. */
const spread = {
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }],
    },
  },
};
const prod = (replicas: number, extra: object = {}) => cluster({ replicas, compute: spread, ...extra });

describe('change rules: replicas decrease', () => {
  test('GIVEN 5 committed replicas WHEN values lower them to 3 without scaleIn THEN it is refused with the two-commit procedure', () => {
    const findings = checkTargetChange(change(valuesOf('prod/aws', { replicas: 3 }), [prod(3)], [prod(5)]));
    expect(rules(findings)).toEqual(['refuse replicas-decrease']);
    expect(findings[0]).toMatchObject({ keyPath: 'replicas' });
    expect(findings[0]!.message).toMatch(
      /^lowers replicas from 5 \(committed in HEAD:dist\/prod\/aws\) to 3; a plain StatefulSet scale-down breaks a Restate cluster/,
    );
    expect(findings[0]!.message).toContain(
      'first keep replicas: 5 and set scaleIn: {from: 5, to: 3}, which adds the drain Job restate-prod-drain-5-to-3',
    );
    expect(findings[0]!.message).toContain("commit replicas: 3, then delete the removed pods' PVCs");
  });

  test('GIVEN 5 committed replicas WHEN scaleIn names another change (5 → 4) THEN the decrease to 3 is refused and says so', () => {
    const values = valuesOf('prod/aws', { replicas: 3, scaleIn: { from: 5, to: 4 } });
    const findings = only(checkTargetChange(change(values, [prod(3)], [prod(5), job('restate-prod-drain-5-to-4')])), 'replicas-decrease');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('scaleIn names 5 → 4, not this change');
  });

  test('GIVEN scaleIn 5 → 3 but no drain Job committed WHEN replicas go to 3 THEN it is refused: the drain commit must land first', () => {
    const values = valuesOf('prod/aws', { replicas: 3, scaleIn: { from: 5, to: 3 } });
    const findings = checkTargetChange(change(values, [prod(3)], [prod(5)]));
    expect(rules(findings)).toEqual(['refuse replicas-decrease']);
    expect(findings[0]!.message).toMatch(/holds no drain Job restate-prod-drain-5-to-3: the drain commit must land and complete first/);
  });

  test('GIVEN a drain Job of another name committed WHEN replicas go 5 → 3 THEN it is refused', () => {
    const values = valuesOf('prod/aws', { replicas: 3, scaleIn: { from: 5, to: 3 } });
    expect(rules(checkTargetChange(change(values, [prod(3)], [prod(5), job('restate-prod-drain-5-to-4')])))).toEqual([
      'refuse replicas-decrease',
    ]);
  });

  test('GIVEN scaleIn 5 → 3 and its drain Job committed WHEN replicas go to 3 THEN nothing is refused', () => {
    const values = valuesOf('prod/aws', { replicas: 3, scaleIn: { from: 5, to: 3 } });
    const findings = checkTargetChange(change(values, [prod(3)], [prod(5), job('restate-prod-drain-5-to-3')]));
    expect(findings.filter((f) => f.severity === 'refuse')).toEqual([]);
  });

  test('GIVEN the drain commit (scaleIn set, replicas unchanged) WHEN synth THEN nothing is refused', () => {
    const values = valuesOf('prod/aws', { scaleIn: { from: 5, to: 3 } });
    expect(checkTargetChange(change(values, [prod(5)], [prod(5)]))).toEqual([]);
  });

  test('GIVEN a finished scale-in (committed and new replicas both 3) WHEN scaleIn is still set THEN it warns to remove it', () => {
    const values = valuesOf('prod/aws', { replicas: 3, scaleIn: { from: 5, to: 3 } });
    const findings = checkTargetChange(change(values, [prod(3)], [prod(3)]));
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'scale-in-done',
        severity: 'warn',
        keyPath: 'scaleIn',
        text: "scaleIn 5 → 3 is done: remove it, and the removed pods' PVCs",
      }),
    ]);
    expect(findings[0]!.message).toMatch(/^scaleIn \{from: 5, to: 3\} is done/);
  });

  test('GIVEN no committed target WHEN synth THEN a small replicas count is no decrease', () => {
    expect(checkTargetChange(change(valuesOf('prod/aws', { replicas: 3 }), [prod(3)]))).toEqual([]);
  });

  test('GIVEN replicas grow 3 → 5 WHEN synth THEN nothing is refused', () => {
    expect(checkTargetChange(change(valuesOf('prod/aws'), [prod(5)], [prod(3)]))).toEqual([]);
  });
});

describe('change rules: replicas below what replication needs', () => {
  test('GIVEN a committed default-replication of 3 WHEN values lower replication to 2 and replicas to 2 in one commit THEN replicas is refused naming the committed replication', () => {
    const values = valuesOf('prod/aws', {
      replicas: 2,
      restate: { defaultNumPartitions: 128, defaultReplication: 2 },
      metadata: { store: 'object-store' },
    });
    const findings = only(checkTargetChange(change(values, [prod(2)], [prod(2)])), 'replicas-below-replication');
    expect(findings).toEqual([expect.objectContaining({ severity: 'refuse', keyPath: 'replicas' })]);
    expect(findings[0]!.message).toMatch(
      /^2 is below the 3 nodes the replication needs: .*the committed target runs with default-replication 3 \(HEAD:dist\/prod\/aws\); lower restate\.defaultReplication in a commit of its own first/,
    );
  });

  test('GIVEN a committed replication of {zone: 2, node: 4} WHEN scaleIn.to is 3 THEN scaleIn.to is refused', () => {
    const values = valuesOf('prod/aws', { scaleIn: { from: 5, to: 3 } });
    const findings = only(
      checkTargetChange(change(values, [prod(5)], [prod(5, { config: 'default-replication = "{zone: 2, node: 4}"\n' })])),
      'replicas-below-replication',
    );
    expect(findings.map((f) => f.keyPath)).toEqual(['scaleIn.to']);
    expect(findings[0]!.message).toMatch(/^3 is below the 4 nodes/);
  });

  test('GIVEN replicas equal to the replication WHEN synth THEN it passes', () => {
    expect(
      only(checkTargetChange(change(valuesOf('prod/aws', { replicas: 3 }), [prod(3)], [prod(3)])), 'replicas-below-replication'),
    ).toEqual([]);
  });
});

describe('change rules: image versions', () => {
  const imageChange = (from: string, to: string) =>
    checkTargetChange(change(valuesOf('prod/aws', { image: to }), [prod(5, { image: to })], [prod(5, { image: from })])).filter(
      (f) => f.keyPath === 'image',
    );

  test('GIVEN 1.4 committed WHEN the image is 1.6 THEN it is refused with the path through 1.5 and a backup first', () => {
    const [finding, ...rest] = imageChange('restatedev/restate:1.4', 'restatedev/restate:1.6.1');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'refuse', keyPath: 'image' });
    expect(finding!.message).toMatch(
      /skipping 1\.5: Restate's upgrade documentation forbids skipping minor versions\. Step through each one, a commit per minor \(1\.5 → 1\.6\)/,
    );
    expect(finding!.message).toContain('take a backup first');
  });

  test.each([
    ['restatedev/restate:1.5.3', 'restatedev/restate:1.4.4'],
    ['restatedev/restate:1.7.12', 'restatedev/restate:1.7.10'],
  ])('GIVEN %s committed WHEN the image is %s THEN the downgrade is refused', (from, to) => {
    const [finding] = imageChange(from, to);
    expect(finding).toMatchObject({ severity: 'refuse' });
    expect(finding!.message).toMatch(/Restate does not support a downgrade/);
  });

  test('GIVEN 1.6.1 committed WHEN the image is 1.7.12 THEN it passes with a warning to take a backup first', () => {
    const [finding] = imageChange('restatedev/restate:1.6.1', 'restatedev/restate:1.7.12');
    expect(finding).toMatchObject({
      severity: 'warn',
      rule: 'image-minor-upgrade',
      text: 'image 1.6.1 → 1.7.12: take a backup first',
    });
    expect(finding!.message).toMatch(/^upgrades Restate from 1\.6\.1 to 1\.7\.12: take a backup first/);
  });

  test('GIVEN a floating 1.4 committed WHEN pinned to 1.4.4 THEN there is no version finding', () => {
    expect(imageChange('restatedev/restate:1.4', 'restatedev/restate:1.4.4')).toEqual([]);
  });

  test.each([
    ['restatedev/restate:1.4', 'registry.example.com/restate:build-42', 'image 1.4 → build-42'],
    [
      'restatedev/restate@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'restatedev/restate:1.5.3',
      'image digest → 1.5.3',
    ],
  ])('GIVEN %s committed WHEN the image is %s THEN it warns that it cannot check', (from, to, start) => {
    const [finding] = imageChange(from, to);
    expect(finding).toMatchObject({ severity: 'warn', rule: 'image-version-unknown' });
    expect((finding as { text: string }).text).toBe(`${start} is unchecked; back up first`);
    expect(finding!.message).toMatch(/names no Restate version \(MAJOR\.MINOR\[\.PATCH\]\), so synth cannot check/);
  });

  test('GIVEN 1.7.12 committed WHEN the image is 2.0.0 THEN it warns to step through every minor', () => {
    const [finding] = imageChange('restatedev/restate:1.7.12', 'restatedev/restate:2.0.0');
    expect(finding).toMatchObject({
      severity: 'warn',
      rule: 'image-major-change',
      text: 'image 1.7.12 → 2.0.0: back up, go minor by minor',
    });
  });
});

describe('change rules: pod-template changes roll every pod', () => {
  const roll = (before: object, after: object) =>
    only(checkTargetChange(change(valuesOf('prod/aws'), [prod(5, after)], [prod(5, before)])), 'pod-template-roll');

  test.each([
    [
      'the server config',
      { config: 'default-replication = 3\n' },
      { config: 'default-replication = 3\nlog-filter = "debug"\n' },
      'server config (spec.config)',
      'config',
    ],
    ['a CR annotation', { annotations: { a: '1' } }, { annotations: { a: '2' } }, 'CR annotations', 'annotations'],
    [
      'resources',
      { compute: { ...spread } },
      { compute: { ...spread, resources: { limits: { cpu: '2' } } } },
      'spec.compute.resources',
      'resources',
    ],
    [
      'placement',
      { compute: { ...spread } },
      { compute: { ...spread, tolerations: [{ operator: 'Exists' }] } },
      'spec.compute.tolerations',
      'tolerations',
    ],
  ])(
    'GIVEN a committed cluster WHEN %s changes THEN it warns that all 5 pods roll with ~40 s of risk under 1.7.4',
    (_what, before, after, part, short) => {
      const [finding, ...rest] = roll(before, after);
      expect(rest).toEqual([]);
      expect(finding).toMatchObject({
        severity: 'warn',
        text: `restarts every pod (${short}); apply when quiet`,
      });
      expect(finding!.message).toContain(`changes the pods' template (${part}): applying it restarts all 5 Restate pods`);
      expect(finding!.message).toContain('Under operator 1.7.4 the readiness probe has no initial delay');
      expect(finding!.message).toContain('~40 s');
    },
  );

  test('GIVEN a committed cluster WHEN only replicas change THEN no roll is announced', () => {
    expect(only(checkTargetChange(change(valuesOf('prod/aws', { replicas: 7 }), [prod(7)], [prod(5)])), 'pod-template-roll')).toEqual([]);
  });

  test('GIVEN nothing committed WHEN synth THEN no roll is announced', () => {
    expect(only(checkTargetChange(change(valuesOf('prod/aws'), [prod(5)])), 'pod-template-roll')).toEqual([]);
  });
});

describe('change rules: multi-node without snapshots', () => {
  test('GIVEN prod/vultr (5 replicas, no snapshot repository) WHEN synth THEN it warns that logs cannot be trimmed and never to trim', () => {
    const findings = only(checkTargetChange(change(valuesOf('prod/vultr'), [prod(5)])), 'snapshots-off');
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warn',
        keyPath: 'snapshots.enabled',
        text: 'logs grow untrimmed; never trim by hand, enable snapshots',
      }),
    ]);
    expect(findings[0]!.message).toMatch(/Restate cannot trim its logs/);
    expect(findings[0]!.message).toMatch(/Never trim this cluster/);
  });

  test('GIVEN prod/aws (snapshots on) or a single node WHEN synth THEN there is no such warning', () => {
    expect(only(checkTargetChange(change(valuesOf('prod/aws'), [prod(5)])), 'snapshots-off')).toEqual([]);
    const single = valuesOf('prod/vultr', { replicas: 1 });
    expect(only(checkTargetChange(change(single, [prod(1)])), 'snapshots-off')).toEqual([]);
  });
});

describe('change rules: placement', () => {
  test('GIVEN 5 replicas and no pod anti-affinity WHEN synth THEN it warns that nothing spreads the pods', () => {
    const findings = only(checkTargetChange(change(valuesOf('prod/aws'), [cluster({ replicas: 5 })])), 'placement-no-spread');
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warn',
        keyPath: 'placement',
        text: 'all pods may share one node; keep placement.spreadOver',
      }),
    ]);
    expect(findings[0]!.message).toMatch(/^spreads none of the 5 pods/);
  });

  test('GIVEN preferred pod anti-affinity, or fewer than 3 replicas WHEN synth THEN there is no spread warning', () => {
    expect(only(checkTargetChange(change(valuesOf('prod/aws'), [prod(5)])), 'placement-no-spread')).toEqual([]);
    expect(
      only(checkTargetChange(change(valuesOf('prod/aws', { replicas: 2 }), [cluster({ replicas: 2 })])), 'placement-no-spread'),
    ).toEqual([]);
  });
});

describe('change rules: order', () => {
  test('GIVEN a change with refusals and warnings WHEN checked THEN the refusals come first', () => {
    const findings = checkTargetChange(
      change(
        valuesOf('prod/vultr', { replicas: 3, image: 'restatedev/restate:1.6.1' }),
        [cluster({ replicas: 3 })],
        [cluster({ replicas: 5 })],
      ),
    );
    const severities = findings.map((f) => f.severity);
    expect(severities.indexOf('warn')).toBeGreaterThan(severities.lastIndexOf('refuse'));
    expect(rules(findings)).toEqual(
      expect.arrayContaining(['refuse replicas-decrease', 'refuse image-version', 'warn snapshots-off', 'warn placement-no-spread']),
    );
  });
});

describe('change rules: the lines synth prints for their warnings', () => {
  test('GIVEN every warning the rules give WHEN printed for the three vultr targets THEN each line stays within 160 characters', () => {
    // GIVEN one change that draws each warning of the rules (the longest case of each: five changed parts, a digest)
    const digest = `restatedev/restate@sha256:${'0123456789abcdef'.repeat(4)}`;
    const changes = [
      change(valuesOf('prod/vultr', { scaleIn: { from: 5, to: 3 }, replicas: 3 }), [cluster({ replicas: 3 })], [cluster({ replicas: 3 })]),
      change(
        valuesOf('prod/vultr', { image: 'restatedev/restate:1.7.12' }),
        [cluster({ image: 'restatedev/restate:1.7.12', config: 'x = 1\n', annotations: { a: '2' }, compute: { env: [], resources: {} } })],
        [cluster({ image: 'restatedev/restate:1.6.1' })],
      ),
      change(valuesOf('prod/vultr', { image: 'restatedev/restate:2.0.0' }), [prod(5)], [prod(5, { image: 'restatedev/restate:1.7.12' })]),
      change(valuesOf('prod/vultr', { image: digest }), [prod(5)], [prod(5, { image: 'restatedev/restate:1.6.1' })]),
    ];
    const warnings = changes.flatMap((c) => checkTargetChange(c)).filter((f) => f.severity === 'warn');
    expect([...new Set(warnings.map((w) => w.rule))].sort()).toEqual([
      'image-major-change',
      'image-minor-upgrade',
      'image-version-unknown',
      'placement-no-spread',
      'pod-template-roll',
      'scale-in-done',
      'snapshots-off',
    ]);
    // WHEN each is printed as synth prints it THEN no line is longer than the limit
    const vultr = ['dev/vultr', 'staging/vultr', 'prod/vultr'];
    const lines = warnings.map((finding) =>
      finding.severity === 'warn'
        ? warningLine({ id: finding.rule, targets: vultr, text: finding.text }, [...vultr, 'prod/aws', 'dev/kind'], 'warning: ')
        : '',
    );
    expect(lines.filter((line) => line.length > WARNING_LINE_LIMIT)).toEqual([]);
    expect(lines).toContain(
      'warning: snapshots-off on dev/vultr, staging/vultr, prod/vultr: logs grow untrimmed; never trim by hand, enable snapshots (docs/warnings.md#snapshots-off)',
    );
  });
});
