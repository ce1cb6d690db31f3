import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { loadTargets, loadTargetValues, ValuesError } from '../../lib/values';
import { YAML_LIMITS } from '../../lib/values/yaml-data';
import { ValuesDir } from '../support/values-dir';

/*
 * Reading a values file: what YAML would silently change, and what would hang, crash or name no file, is refused
 * with the file (and line, and key path, where there is one).
 */

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const DEV = 'environments/dev.yaml';
const dev = () => join(dir.path, DEV);
const DEV_TEXT = 'clusterName: restate-dev\ndeploy:\n  kubeContext: restate-dev\n';

describe('values are data: keys that are JavaScript internals are refused by name', () => {
  test('__proto__ at the top level is refused, not applied as top-level keys', () => {
    // GIVEN a __proto__ mapping that would otherwise set replicas: 1 through the prototype
    dir.write(DEV, `${DEV_TEXT}__proto__:\n  replicas: 1\n`);
    // THEN
    expect(dir.errorsOf()).toEqual([
      `${dev()}:4:1: __proto__: "__proto__" cannot be a key: JavaScript objects treat it as their prototype, not as data`,
    ]);
  });

  test('__proto__ under a map is refused, not dropped', () => {
    dir.write(DEV, `${DEV_TEXT}metrics:\n  podMonitor:\n    labels:\n      __proto__: x\n`);
    expect(dir.errorsOf()).toEqual([
      `${dev()}:7:7: metrics.podMonitor.labels.__proto__: "__proto__" cannot be a key: JavaScript objects treat it as their prototype, not as data`,
    ]);
  });

  test('a constructor key is refused with the file and line instead of crashing synth', () => {
    dir.write(DEV, `${DEV_TEXT}operator:\n  chartValues:\n    podAnnotations:\n      constructor: x\n`);
    expect(dir.errorsOf()).toEqual([
      `${dev()}:7:7: operator.chartValues.podAnnotations.constructor: "constructor" cannot be a key: ` +
        'cdk8s cannot render a mapping with this key (it reads value.constructor to tell plain objects apart)',
    ]);
  });
});

describe('YAML that would change meaning silently is refused with the line', () => {
  test.each([
    ['!!set {a, b}', '!!set', 21],
    ['!!omap [{a: 1}]', '!!omap', 22],
    ['!foo bar', '!foo', 20],
    ['!!binary aGk=', '!!binary', 24],
  ])('the tag in %s', (value, tag, column) => {
    dir.write(DEV, `${DEV_TEXT}operator:\n  chartValues:\n    affinity: ${value}\n`);
    expect(dir.errorsOf()).toEqual([
      `${dev()}:6:${column}: operator.chartValues.affinity: has the tag ${tag}, which values do not support; remove it (only the YAML core tags such as !!str are allowed)`,
    ]);
  });

  test('!!str is a core tag and forces a string', () => {
    dir.write(DEV, `${DEV_TEXT}metrics:\n  podMonitor:\n    labels:\n      version: !!str 1.4\n`);
    expect(loadTargetValues(dir.path, 'dev', 'vultr').values.metrics.podMonitor.labels).toEqual({ version: '1.4' });
  });

  test('invalid UTF-8 is refused with the line, not replaced by U+FFFD', () => {
    const before = Buffer.from(`${DEV_TEXT}restate:\n  logFilter: inf`);
    writeFileSync(dev(), Buffer.concat([before, Buffer.from([0xff, 0x6f]), Buffer.from('\n')]));
    expect(dir.errorsOf()).toEqual([`${dev()}:5: is not valid UTF-8 (byte 0xff at offset ${before.length}); save the file as UTF-8`]);
  });

  test.each(['.inf', '-.Inf', '.nan'])('%s is refused as not a finite number', (value) => {
    dir.write(DEV, `${DEV_TEXT}replicas: ${value}\n`);
    expect(dir.errorsOf()).toEqual([`${dev()}:4:11: replicas: ${value} is not a finite number; quote it if it is text`]);
  });

  test('an integer beyond 2^53 is refused, not rounded', () => {
    dir.write(DEV, `${DEV_TEXT}snapshots:\n  intervalNumRecords: 9007199254740993\n`);
    expect(dir.errorsOf()).toEqual([
      `${dev()}:5:23: snapshots.intervalNumRecords: 9007199254740993 is beyond ±(2^53-1), which cannot be stored exactly; quote it if it is text`,
    ]);
  });

  test('all problems of a file are reported at once, in file order', () => {
    dir.write(DEV, `${DEV_TEXT}a: .nan\nb: !foo x\nc: 1\nc: 2\n`);
    expect(dir.errorsOf().map((line) => line.slice(dev().length))).toEqual([
      ':4:4: a: .nan is not a finite number; quote it if it is text',
      ':5:9: b: has the tag !foo, which values do not support; remove it (only the YAML core tags such as !!str are allowed)',
      ':7:1: c: duplicate key (first set on line 6); YAML keys must be unique within a mapping',
    ]);
  });
});

describe('bounded: what would exhaust time, memory or the stack is refused by name', () => {
  test('an alias bomb is refused with the file', () => {
    // GIVEN 9 levels of nine-fold aliases: 387 million values once expanded
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    dir.write(DEV, `${DEV_TEXT}${lines.join('\n')}\n`);
    // THEN
    const errors = dir.errorsOf();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^${dev()}:\\d+:\\d+: l\\d[.0-9]*: aliases \\(\\*name\\) expand to more than 100000 values; write the values out instead$`,
      ),
    );
  });

  test('ordinary anchors and aliases still work, an alias meaning the anchor defined last before it', () => {
    // GIVEN an anchor name defined twice, and an alias after the second definition
    dir.write(
      DEV,
      `${DEV_TEXT}metrics:\n  prometheus:\n    podLabels: &team {team: a}\n  podMonitor:\n    namespace: &team monitoring\n    labels: {ns: *team}\n`,
    );
    // WHEN loading THEN the alias took the second definition
    expect(loadTargetValues(dir.path, 'dev', 'vultr').values.metrics.podMonitor.labels).toEqual({ ns: 'monitoring' });
  });

  test('nesting deeper than the limit is refused with the file and key path', () => {
    dir.write(DEV, `${DEV_TEXT}deep: ${'['.repeat(70)}${']'.repeat(70)}\n`);
    const errors = dir.errorsOf();
    expect(errors).toEqual([`${dev()}:4:71: deep${'.0'.repeat(YAML_LIMITS.maxDepth)}: nests deeper than 64 levels`]);
  });

  test('nesting deep enough to overflow the parser is refused with the file, not a stack overflow', () => {
    dir.write(DEV, `${DEV_TEXT}deep: ${'['.repeat(20000)}${']'.repeat(20000)}\n`);
    const errors = dir.errorsOf();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatch(new RegExp(`^${dev()}:4:\\d+: nested too deeply to parse; values nest at most 64 levels$`));
  });

  test('a file above the size limit is refused by name without parsing it', () => {
    dir.write(DEV, `${DEV_TEXT}#${'x'.repeat(YAML_LIMITS.maxBytes)}\n`);
    expect(dir.errorsOf()).toEqual([
      `${dev()}: is ${YAML_LIMITS.maxBytes + DEV_TEXT.length + 2} bytes; at most 4194304 bytes (4 MiB) are allowed`,
    ]);
  });

  test('a FIFO as a values file is refused at once instead of waiting for a writer', () => {
    rmSync(dev());
    execFileSync('mkfifo', [dev()]);
    expect(dir.errorsOf()).toEqual([`${dev()}: is a FIFO (named pipe), not a regular file; reading it could wait forever`]);
  });
});

describe('files that are not there or not files name the file', () => {
  test('a folder where a values file is expected', () => {
    rmSync(dev());
    mkdirSync(dev());
    expect(dir.errorsOf()).toEqual([`${dev()}: is a folder, not a file`]);
  });

  test('a dangling provider symlink says where it points', () => {
    const file = join(dir.path, 'providers/vultr.yaml');
    rmSync(file);
    symlinkSync('../elsewhere/vultr.yaml', file);
    expect(dir.errorsOf()).toEqual([`${file}: is a symbolic link to ../elsewhere/vultr.yaml, which does not exist`]);
  });
});

describe('all mistakes at once', () => {
  test('a syntax error in one file does not hide the errors of another', () => {
    // GIVEN a syntax error in the environment and an unsupported tag in the provider
    dir.write(DEV, 'clusterName: [restate-dev\n');
    dir.write('providers/vultr.yaml', 'storage: !!set {a}\n');
    // THEN both are reported
    const errors = dir.errorsOf();
    expect(errors.some((e) => e.startsWith(`${join(dir.path, 'providers/vultr.yaml')}:1:16: storage: has the tag !!set`))).toBe(true);
    expect(errors.some((e) => e.startsWith(`${dev()}:`) && e.includes('YAML syntax error'))).toBe(true);
  });

  test('an error in base.yaml is reported once, with the targets it stops', () => {
    // GIVEN a bad value in base.yaml, which every target reads
    dir.set('base.yaml', ['restate', 'logFilter'], 'a\nb');
    const outdir = mkdtempSync(join(tmpdir(), 'restate-stack-dedupe-'));
    try {
      // WHEN synthesizing every target
      let error: unknown;
      try {
        runSynth({ valuesDir: dir.path, outdir, allowStorageChange: false });
      } catch (e) {
        error = e;
      }
      // THEN one line names every target
      expect(error).toBeInstanceOf(ValuesError);
      expect((error as ValuesError).message.split('\n')).toEqual([
        `${join(dir.path, 'base.yaml')}: restate.logFilter: this value must be a single line without control characters, got "a\\nb" ` +
          '[targets dev/vultr, staging/vultr, prod/vultr, prod/aws, dev/kind]',
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('targets.yaml', () => {
  test('every bad entry and every unknown key is reported', () => {
    // GIVEN an unknown top-level key, an entry with a typo'd key, an unknown environment and a scalar entry
    dir.write(
      'targets.yaml',
      'target: x\ntargets:\n  - { environment: dev, provider: vultr, region: eu }\n  - { environment: qa, provider: vultr }\n  - dev/aws\n  - { environment: dev }\n',
    );
    // THEN
    let messages: string[] = [];
    try {
      loadTargets(dir.path);
    } catch (error) {
      messages = (error as ValuesError).message.split('\n');
    }
    const file = join(dir.path, 'targets.yaml');
    expect(messages).toEqual([
      `${file}: target: unknown key (targets.yaml holds only "targets")`,
      `${file}: targets.0.region: unknown key (an entry has environment and provider)`,
      `${file}: targets.1.environment: unknown environment "qa"; known: dev, prod, staging`,
      `${file}: targets.2: must be a mapping {environment, provider}, got "dev/aws"`,
      `${file}: targets.3.provider: is required`,
    ]);
  });
});
