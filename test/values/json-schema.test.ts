import Ajv2020 from 'ajv/dist/2020';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadTargets } from '../../lib/values';
import {
  SCHEMA_COMMAND,
  SCHEMA_FILES,
  type SchemaKind,
  schemaComment,
  schemaFileText,
  schemaKindOf,
  valuesJsonSchemas,
} from '../../lib/values/json-schema';
import { mergeData, type Data } from '../../lib/values/merge';
import { FIXTURE_VALUES, USER_VALUES } from '../support/values-dir';

const ROOT = resolve(__dirname, '..', '..');

/** The YAML files of a values folder, relative to it. */
function valuesFiles(values: string, dir = values): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? valuesFiles(values, join(dir, entry.name))
      : entry.name.endsWith('.yaml')
        ? [relative(values, join(dir, entry.name))]
        : [],
  );
}

function validator(kind: SchemaKind) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(JSON.parse(readFileSync(join(ROOT, SCHEMA_FILES[kind]), 'utf8')));
}

const readIn = (values: string) => (file: string) => parse(readFileSync(join(values, file), 'utf8')) as Data;

describe('the committed JSON Schemas of the values files', () => {
  test('equal what the zod schema generates now', () => {
    // GIVEN the schema files under schema/ WHEN the zod schema is converted again
    const generated = valuesJsonSchemas();
    for (const kind of Object.keys(SCHEMA_FILES) as SchemaKind[]) {
      const committed = readFileSync(join(ROOT, SCHEMA_FILES[kind]), 'utf8');
      // THEN they are byte for byte the same; the message says how to fix a drift
      if (committed !== schemaFileText(generated[kind])) {
        throw new Error(`${SCHEMA_FILES[kind]} is out of date with lib/values/schema.ts: run \`${SCHEMA_COMMAND}\` and commit schema/`);
      }
    }
  });

  test('name the comment each kind of values file starts with', () => {
    expect(schemaComment(join('providers', 'aws.yaml'))).toBe('# yaml-language-server: $schema=../../schema/values-overlay.schema.json');
    expect(schemaComment('base.yaml')).toBe('# yaml-language-server: $schema=../schema/values.schema.json');
  });

  // The user's values/ (which follow whatever the user wrote) and the tests' own values alike.
  describe.each([
    ['your values/', USER_VALUES],
    ["the tests' values (test/fixtures/values)", FIXTURE_VALUES],
  ])('%s', (_name, values) => {
    const read = readIn(values);

    test('every values file starts with the yaml-language-server comment naming its schema', () => {
      // GIVEN every YAML file of the folder that is a values layer or targets.yaml
      const files = valuesFiles(values).filter((file) => schemaKindOf(file) !== undefined);
      expect(files).toEqual(expect.arrayContaining(['base.yaml', 'targets.yaml']));
      // WHEN their first lines are read THEN each is the comment for its kind
      const wrong = files.filter((file) => readFileSync(join(values, file), 'utf8').split('\n')[0] !== schemaComment(file));
      if (wrong.length > 0)
        throw new Error(`no or a wrong $schema comment on the first line of: ${wrong.join(', ')}; run \`${SCHEMA_COMMAND}\``);
    });

    test('are accepted by the schemas: base and every merged target in full, overlays as overlays', () => {
      // GIVEN the schemas, compiled by a JSON Schema 2020-12 validator as an editor would use them
      const [full, overlay, targets] = [validator('values'), validator('overlay'), validator('targets')];
      const failures: string[] = [];
      const check = (name: string, ok: boolean, errors: unknown) => ok || failures.push(`${name}: ${JSON.stringify(errors)}`);
      // WHEN each file is checked against its schema, and each target's merged values against the full one
      const files = valuesFiles(values);
      for (const file of files) {
        const kind = schemaKindOf(file);
        if (kind === 'values') check(file, full(read(file)), full.errors);
        if (kind === 'overlay') check(file, overlay(read(file)), overlay.errors);
        if (kind === 'targets') check(file, targets(read(file)), targets.errors);
      }
      for (const { environment, provider } of loadTargets(values)) {
        const merged = [`providers/${provider}.yaml`, `environments/${environment}.yaml`].reduce(
          (acc, file) => mergeData(acc, read(file)),
          read('base.yaml'),
        );
        check(`${environment}/${provider}`, full(merged), full.errors);
      }
      // THEN nothing fails
      expect(failures).toEqual([]);
    });
  });

  test("the tests' values hold every kind of values file", () => {
    expect(valuesFiles(FIXTURE_VALUES).map((file) => [file, schemaKindOf(file)])).toEqual(
      expect.arrayContaining([
        ['base.yaml', 'values'],
        ['targets.yaml', 'targets'],
        [join('providers', 'vultr.yaml'), 'overlay'],
        [join('environments', 'dev.yaml'), 'overlay'],
      ]),
    );
  });

  test('catch a misspelled key in an overlay, allow null to remove a key, and require nothing there', () => {
    // GIVEN the overlay schema
    const overlay = validator('overlay');
    // WHEN an overlay misspells a key THEN it is rejected, naming the key
    expect(overlay({ storage: { storageClasName: 'gp3' } })).toBe(false);
    expect(JSON.stringify(overlay.errors)).toContain('storageClasName');
    // WHEN an overlay removes a key with null, or sets one key deep down THEN it passes
    expect(overlay({ storage: { storageClassName: null } })).toBe(true);
    expect(overlay({ operator: { argocd: { project: 'restate' } } })).toBe(true);
    // WHEN base.yaml's full schema sees a file without the required keys THEN it says what is missing
    const full = validator('values');
    expect(full({ clusterName: 'restate-dev' })).toBe(false);
    expect(JSON.stringify(full.errors)).toContain('replicas');
  });
});
