/**
 * npx tsx scripts/operator-objects-diff.ts [--dist dist]
 *
 * Prints, per shipped target with a recording in test/data/operator-objects/, every field where the real
 * restate-operator's objects differ from what the operator part (lib/operator-part/) derives for the same RestateCluster
 * (test/support/operator-diff.ts), as a Markdown table: object, field path, real operator value, ours.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { diffAgainstOperatorPart, diffTable } from '../test/support/operator-diff';
import { distCluster, operatorDeployment, readRecording, recordingPath } from '../test/support/operator-objects';

const ROOT = resolve(__dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dist: { type: 'string', default: 'dist' } } });
  const dist = resolve(values.dist);
  for (const environment of readdirSync(dist, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)) {
    for (const provider of readdirSync(join(dist, environment))) {
      const dir = join(dist, environment, provider);
      if (!existsSync(join(dir, '0000-operator.k8s.yaml'))) continue;
      const deployment = operatorDeployment(dir);
      const file = recordingPath(ROOT, `v${deployment.version}`, environment, provider);
      if (!existsSync(file)) {
        process.stdout.write(`## ${environment}/${provider} (operator v${deployment.version}): not recorded\n\n`);
        continue;
      }
      const diffs = diffAgainstOperatorPart(readRecording(file), distCluster(dir), deployment);
      process.stdout.write(`## ${environment}/${provider} (operator v${deployment.version}): ${diffs.length} differences\n\n`);
      process.stdout.write(`${diffTable(diffs)}\n\n`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`operator-objects-diff: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
