import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ACKNOWLEDGEABLE_IDS,
  applyAcknowledgements,
  groupWarnings,
  loadTargetValues,
  type Warning,
  WARNING_IDS,
  WARNING_LINE_LIMIT,
  warningLine,
  warningLines,
  WARNINGS,
} from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const DEV = 'environments/dev.yaml';
const VULTR = 'providers/vultr.yaml';
const warningsOf = (environment = 'dev', provider = 'vultr') => loadTargetValues(dir.path, environment, provider).warnings;

describe("the values' own warnings", () => {
  test('an even replica count warns, with the count and what to do', () => {
    dir.set(DEV, ['replicas'], 4);
    expect(warningsOf()).toEqual([
      { id: 'even-replicas', target: 'dev/vultr', text: 'replicas 4 is even: no safer than 3; use an odd count' },
    ]);
  });

  test.each([
    ['restatedev/restate:1.4', 'image tag 1.4 may move; pin a patch, e.g. 1.4.4'],
    ['ghcr.io/restatedev/restate:1.7', 'image tag 1.7 may move; pin a patch, e.g. 1.7.Z'],
    ['registry.example.com/restate:build-42', 'image tag build-42 may move; pin a patch, e.g. X.Y.Z'],
  ])('the image %s warns floating-image-tag', (image, text) => {
    dir.set(DEV, ['image'], image);
    expect(warningsOf()).toEqual([{ id: 'floating-image-tag', target: 'dev/vultr', text }]);
  });

  test('an exact patch version, with or without a digest, does not warn; a digest alone warns unversioned-image', () => {
    dir.set(DEV, ['image'], 'restatedev/restate:1.4.4');
    expect(warningsOf()).toEqual([]);
    dir.set(DEV, ['image'], `restatedev/restate:1.4.4@sha256:${'a'.repeat(64)}`);
    expect(warningsOf()).toEqual([]);
    dir.set(DEV, ['image'], `restatedev/restate@sha256:${'a'.repeat(64)}`);
    expect(warningsOf()).toEqual([
      { id: 'unversioned-image', target: 'dev/vultr', text: 'image has no version tag; write name:X.Y.Z@sha256:…' },
    ]);
  });

  test('networkPeers [] for the ingress or the admin API warns that it admits everybody, each with its own id', () => {
    const ci = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } } };
    dir.set(DEV, ['networkPeers'], { ingress: [], admin: [ci] });
    expect(warningsOf()).toEqual([
      { id: 'open-ingress', target: 'dev/vultr', text: 'networkPeers.ingress: [] lets anyone call; list the callers' },
    ]);
    dir.set(DEV, ['networkPeers'], { ingress: [ci], admin: [] });
    expect(warningsOf()).toEqual([
      { id: 'open-admin', target: 'dev/vultr', text: 'networkPeers.admin: [] opens the admin API to all; list the callers' },
    ]);
  });

  test('provisioning.automated with object-store metadata warns that it is ignored', () => {
    // GIVEN kind (a store with every guarantee) switched to object-store metadata, provisioning.automated still true
    dir.set('environments/dev.yaml', ['metadata'], { store: 'object-store' });
    expect(warningsOf('dev', 'kind')).toEqual([
      { id: 'provisioning-ignored', target: 'dev/kind', text: 'provisioning.automated is ignored (object-store); remove it' },
    ]);
  });
});

describe('warnings.acknowledge in the values', () => {
  test('the shipped vultr overlay acknowledges snapshots-off, aws alert-metric-missing, each with its reason; kind nothing', () => {
    const { acknowledgements } = loadTargetValues(dir.path, 'prod', 'vultr');
    expect(acknowledgements).toEqual([
      {
        id: 'snapshots-off',
        reason: expect.stringMatching(/^Vultr Object Storage, .* guarantees neither read-after-write nor conditional writes/),
        file: join(dir.path, VULTR),
      },
    ]);
    expect(acknowledgements[0]!.reason).not.toContain('\n');
    expect(loadTargetValues(dir.path, 'prod', 'aws').acknowledgements).toEqual([
      {
        id: 'alert-metric-missing',
        reason: expect.stringMatching(/^The shipped image is Restate 1\.4\.4, which has no snapshot-age metric/),
        file: expect.stringMatching(/providers\/aws\.yaml$/),
      },
    ]);
    expect(loadTargetValues(dir.path, 'dev', 'kind').acknowledgements).toEqual([]);
  });

  test('layers merge acknowledgements id by id, each naming the file that set it, and null takes one back', () => {
    // GIVEN the environment acknowledges another warning WHEN loading THEN both hold, each with its file (in the
    // order of docs/warnings.md)
    dir.set(DEV, ['warnings', 'acknowledge', 'even-replicas'], 'a fourth node for a migration window, removed in Q3');
    expect(loadTargetValues(dir.path, 'dev', 'vultr').acknowledgements).toEqual([
      { id: 'even-replicas', reason: 'a fourth node for a migration window, removed in Q3', file: join(dir.path, DEV) },
      { id: 'snapshots-off', reason: expect.any(String), file: join(dir.path, VULTR) },
    ]);
    // AND null in the environment takes the provider's back
    dir.set(DEV, ['warnings', 'acknowledge', 'snapshots-off'], null);
    expect(loadTargetValues(dir.path, 'dev', 'vultr').acknowledgements.map((a) => a.id)).toEqual(['even-replicas']);
  });

  test('an unknown id is refused by name, with a suggestion', () => {
    dir.set(DEV, ['warnings', 'acknowledge', 'snapshot-off'], 'typo');
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: warnings.acknowledge.snapshot-off: unknown warning id (did you mean "snapshots-off"?); the ids are the headings of docs/warnings.md`,
    ]);
  });

  test('an id far from any is refused without a suggestion', () => {
    dir.set(DEV, ['warnings', 'acknowledge', 'everything'], 'all of them');
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: warnings.acknowledge.everything: unknown warning id; the ids are the headings of docs/warnings.md`,
    ]);
  });

  test('a warning about one change or about the run cannot be acknowledged, and says why', () => {
    dir.set(DEV, ['warnings', 'acknowledge', 'pod-template-roll'], 'we roll at night');
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: warnings.acknowledge.pod-template-roll: pod-template-roll cannot be acknowledged: it is about one change or about the run, ` +
        'not a standing finding of the values (docs/warnings.md#pod-template-roll)',
    ]);
  });

  test('a reason must be one line, not blank, and text', () => {
    dir.set(DEV, ['warnings', 'acknowledge', 'even-replicas'], '   ');
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: warnings.acknowledge.even-replicas: must say why the warning is acknowledged`,
    ]);
    dir.set(DEV, ['warnings', 'acknowledge', 'even-replicas'], 'one\ntwo');
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: warnings.acknowledge.even-replicas: a reason must be a single line without control characters, got "one\\ntwo"`,
    ]);
    dir.set(DEV, ['warnings', 'acknowledge', 'even-replicas'], 42);
    expect(dir.errorsOf()).toEqual([
      `${join(dir.path, DEV)}: warnings.acknowledge.even-replicas: must be text (YAML reads it unquoted as a number: quote it), got 42`,
    ]);
  });
});

describe('acknowledgements applied to the warnings of a run', () => {
  const ack = (id: Warning['id'], file = 'values/providers/vultr.yaml') => ({ id, reason: 'because', file });
  const snapshots = (target: string): Warning => ({ id: 'snapshots-off', target, text: 'logs grow untrimmed' });

  test('an acknowledged warning is set apart with its reason; the same warning on a target without it is shown', () => {
    const run = applyAcknowledgements(
      [snapshots('dev/vultr'), snapshots('prod/aws')],
      new Map([
        ['dev/vultr', [ack('snapshots-off')]],
        ['prod/aws', []],
      ]),
      true,
    );
    expect(run.shown).toEqual([snapshots('prod/aws')]);
    expect(run.acknowledged).toEqual([{ ...ack('snapshots-off'), target: 'dev/vultr' }]);
  });

  const TAKE_BACK_BASE =
    ', or, where it still holds on other targets that file reaches, take it back on these alone with `snapshots-off: null` ' +
    "under warnings.acknowledge in their provider's or environment's file";
  test('an acknowledgement whose warning did not fire on its target is a stale-acknowledgement warning naming the file', () => {
    const run = applyAcknowledgements([], new Map([['prod/aws', [ack('snapshots-off', 'values/base.yaml')]]]), true);
    expect(run.shown).toEqual([
      { id: 'stale-acknowledgement', target: 'prod/aws', text: 'remove snapshots-off from values/base.yaml' + TAKE_BACK_BASE },
    ]);
    // AND a caller that did not compute every warning (the deploy commands) does not report it
    expect(applyAcknowledgements([], new Map([['prod/aws', [ack('snapshots-off')]]]), false).shown).toEqual([]);
  });
});

describe('the one line of each warning', () => {
  const all = ['dev/vultr', 'staging/vultr', 'prod/vultr', 'prod/aws', 'dev/kind'];

  test('the same id and text on several targets is one line naming them; another text is another line', () => {
    const warnings: Warning[] = [
      { id: 'even-replicas', target: 'prod/aws', text: 'replicas 4 is even: no safer than 3; use an odd count' },
      { id: 'snapshots-off', target: 'prod/vultr', text: 'logs grow untrimmed; never trim by hand, enable snapshots' },
      { id: 'snapshots-off', target: 'dev/vultr', text: 'logs grow untrimmed; never trim by hand, enable snapshots' },
      { id: 'even-replicas', target: 'dev/vultr', text: 'replicas 6 is even: no safer than 5; use an odd count' },
    ];
    expect(warningLines(warnings, all)).toEqual([
      'warning: even-replicas on prod/aws: replicas 4 is even: no safer than 3; use an odd count (docs/warnings.md#even-replicas)',
      'warning: snapshots-off on dev/vultr, prod/vultr: logs grow untrimmed; never trim by hand, enable snapshots (docs/warnings.md#snapshots-off)',
      'warning: even-replicas on dev/vultr: replicas 6 is even: no safer than 5; use an odd count (docs/warnings.md#even-replicas)',
    ]);
  });

  test('every target of a run of three or more is "all N targets"; a warning about the run names none', () => {
    const text = 'image tag 1.4 may move; pin a patch, e.g. 1.4.4';
    const lines = warningLines(
      [...all.map((target): Warning => ({ id: 'floating-image-tag', target, text })), { id: 'no-committed-output', text: 'commit dist' }],
      all,
    );
    expect(lines).toEqual([
      'warning: floating-image-tag on all 5 targets: image tag 1.4 may move; pin a patch, e.g. 1.4.4 (docs/warnings.md#floating-image-tag)',
      'warning: no-committed-output: commit dist (docs/warnings.md#no-committed-output)',
    ]);
  });

  test('a line that would pass the limit folds the targets by provider, then names two and a count', () => {
    const group = (text: string, targets: string[]) => ({ id: 'stale-acknowledgement' as const, targets, text });
    const vultr = ['dev/vultr', 'staging/vultr', 'prod/vultr'];
    const folded = warningLine(group('remove snapshots-off from values/providers/vultr.yaml', vultr), all, 'warning: ');
    expect(folded).toBe(
      'warning: stale-acknowledgement on {dev,staging,prod}/vultr: remove snapshots-off from values/providers/vultr.yaml (docs/warnings.md#stale-acknowledgement)',
    );
    const four = [...vultr, 'prod/aws'];
    const short = warningLine(group(`remove snapshots-off from ${'x'.repeat(50)}.yaml`, four), all, 'warning: ');
    expect(short).toMatch(/^warning: stale-acknowledgement on dev\/vultr, staging\/vultr \+2 more: /);
  });

  test('every values warning, on the three vultr targets, fits the limit', () => {
    // GIVEN each warning the values give, with the longest inputs the shipped targets have
    const lines = [
      { id: 'even-replicas', text: 'replicas 10 is even: no safer than 9; use an odd count' },
      { id: 'floating-image-tag', text: 'image tag 1.4 may move; pin a patch, e.g. 1.4.4' },
      { id: 'unversioned-image', text: 'image has no version tag; write name:X.Y.Z@sha256:…' },
      { id: 'open-ingress', text: 'networkPeers.ingress: [] lets anyone call; list the callers' },
      { id: 'open-admin', text: 'networkPeers.admin: [] opens the admin API to all; list the callers' },
      { id: 'provisioning-ignored', text: 'provisioning.automated is ignored (object-store); remove it' },
      { id: 'foreign-files-kept', text: "kept kustomization.yaml, overlays +1 more (not synth's)" },
      { id: 'gitops-adoption-roll', text: "RestateCluster gains Argo CD's marks: all pods restart once" },
    ].map(({ id, text }) =>
      warningLine({ id: id as Warning['id'], targets: ['dev/vultr', 'staging/vultr', 'prod/vultr'], text }, all, 'warning: '),
    );
    // THEN none passes the limit
    expect(lines.filter((line) => line.length > WARNING_LINE_LIMIT)).toEqual([]);
  });

  test('groups keep the order found, and their targets the order of the run', () => {
    const text = 't';
    expect(
      groupWarnings(
        [
          { id: 'snapshots-off', target: 'prod/vultr', text },
          { id: 'snapshots-off', target: 'dev/vultr', text },
        ],
        all,
      ),
    ).toEqual([{ id: 'snapshots-off', targets: ['dev/vultr', 'prod/vultr'], text }]);
  });
});

describe('docs/warnings.md', () => {
  const doc = readFileSync(resolve(__dirname, '..', '..', 'docs', 'warnings.md'), 'utf8');
  const headings = [...doc.matchAll(/^## (.+)$/gm)].map((match) => match[1]!);

  test('has one heading per warning id, and no heading of an id that does not exist', () => {
    expect(headings.filter((heading) => heading !== 'Acknowledging a warning').sort()).toEqual([...WARNING_IDS].sort());
  });

  test('marks exactly the acknowledgeable ids as acknowledgeable', () => {
    const sections = doc.split(/^## /m).slice(1);
    const marked = sections.filter((section) => section.includes('*Acknowledgeable.*')).map((section) => section.split('\n')[0]);
    expect(marked.sort()).toEqual([...ACKNOWLEDGEABLE_IDS].sort());
    expect(Object.keys(WARNINGS).length).toBe(WARNING_IDS.length);
  });
});
