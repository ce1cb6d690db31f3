import { posix } from 'node:path';
import { z } from 'zod';
import { stackValuesSchema } from './schema';

/**
 * JSON Schemas of the values files, generated from the zod schema (`z.toJSONSchema`) so that editors complete and
 * check keys (yaml-language-server reads the `$schema` comment on the first line of each file). Committed under
 * `schema/`; `npm run schema` regenerates them and adds the comment to any values file that lacks it.
 *
 * The JSON Schema carries what JSON Schema can say (keys, types, enums, patterns, bounds); the rules across keys
 * (replicas at least 3 with the replicated store, credentials per source, …) stay zod's and synth's to report.
 */
export const SCHEMA_FOLDER = 'schema';

export const SCHEMA_FILES = {
  /** `base.yaml`: the whole values, every required key. */
  values: `${SCHEMA_FOLDER}/values.schema.json`,
  /** `providers/*.yaml`, `environments/*.yaml`: any subset; `null` removes a key set below. */
  overlay: `${SCHEMA_FOLDER}/values-overlay.schema.json`,
  /** `targets.yaml`. */
  targets: `${SCHEMA_FOLDER}/targets.schema.json`,
} as const;

export type SchemaKind = keyof typeof SCHEMA_FILES;

/** The command that regenerates the schemas; named by the test that compares them with the code. */
export const SCHEMA_COMMAND = 'npm run schema';

/** The shape of targets.yaml that `loadTargets` checks (which names exist is the values folder's to say). */
const targetsFileSchema = z.strictObject({
  targets: z
    .array(
      z.strictObject({
        environment: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
        provider: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
      }),
    )
    .min(1),
});

type JsonSchema = { [key: string]: unknown };

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The overlay variant: nothing is required, and every key (at any depth of mappings) may be `null`, which the
 * merge reads as "remove the key set below". Lists replace what is below them whole, so their items keep
 * their required keys.
 */
function overlayOf(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...schema };
  delete copy.required;
  if (Array.isArray(copy.anyOf)) copy.anyOf = copy.anyOf.map((branch) => (isSchema(branch) ? overlayOf(branch) : branch));
  if (isSchema(copy.properties)) {
    copy.properties = Object.fromEntries(
      Object.entries(copy.properties).map(([key, value]) => [
        key,
        isSchema(value) ? { anyOf: [overlayOf(value), { type: 'null' }] } : value,
      ]),
    );
  }
  return copy;
}

function withHeader(schema: JsonSchema, title: string): JsonSchema {
  const { $schema, ...rest } = schema;
  return { $schema, $comment: `Generated from the zod schema by \`${SCHEMA_COMMAND}\`; do not edit.`, title, ...rest };
}

/** Every schema file's contents, keyed by kind. */
export function valuesJsonSchemas(): Record<SchemaKind, JsonSchema> {
  const values = z.toJSONSchema(stackValuesSchema, { io: 'input' }) as JsonSchema;
  return {
    values: withHeader(values, 'restate-stack values (base.yaml, or all layers merged)'),
    overlay: withHeader(overlayOf(values), 'restate-stack values overlay (providers/*.yaml, environments/*.yaml)'),
    targets: withHeader(z.toJSONSchema(targetsFileSchema, { io: 'input' }) as JsonSchema, 'restate-stack targets.yaml'),
  };
}

/** A schema file's text as committed (stable key order, two-space indent, final newline). */
export function schemaFileText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Which schema a file of the values folder takes, by its path inside that folder (`providers/aws.yaml`). */
export function schemaKindOf(relativePath: string): SchemaKind | undefined {
  const path = relativePath.split('\\').join('/');
  if (path === 'base.yaml') return 'values';
  if (path === 'targets.yaml') return 'targets';
  if (/^(providers|environments)\/[^/]+\.yaml$/.test(path)) return 'overlay';
  return undefined;
}

/**
 * The first line a values file starts with: yaml-language-server's `$schema` comment, relative to the file.
 * `valuesDir` and `schemaDir` are paths relative to the repository root (`values`, `schema`).
 */
export function schemaComment(relativePath: string, valuesDir = 'values', schemaFolder = SCHEMA_FOLDER): string | undefined {
  const kind = schemaKindOf(relativePath);
  if (!kind) return undefined;
  const fileDir = posix.dirname(posix.join(valuesDir, relativePath.split('\\').join('/')));
  const target = posix.join(schemaFolder, posix.basename(SCHEMA_FILES[kind]));
  return `# yaml-language-server: $schema=${posix.relative(fileDir, target)}`;
}
