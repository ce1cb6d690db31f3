/**
 * Regenerates imports/monitoring.coreos.com.ts (`cdk8s import`) from the Prometheus Operator's PodMonitor CRD,
 * vendored as data in crds/prometheus-operator-v0.93.0/ (upstream tag v0.93.0; URL, commit and sha256 in the
 * SOURCES.md beside it), so no network is needed. Run by `npm run import`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = resolve(__dirname, '..');
const POD_MONITOR_CRD = join(ROOT, 'crds', 'prometheus-operator-v0.93.0', 'monitoring.coreos.com_podmonitors.yaml');
/** The file's sha256 as SOURCES.md records it: a changed file is refused until the table says where it is from. */
const SHA256 = '45a93443daa687d3654f7e9631909ff7edcdf3ec09c5e60251b74aa2722aee5d';

function main(): void {
  const text = readFileSync(POD_MONITOR_CRD, 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (sha256 !== SHA256) throw new Error(`${POD_MONITOR_CRD} has sha256 ${sha256}, not the ${SHA256} its SOURCES.md records`);
  const crd = parseAllDocuments(text)
    .map((doc) => doc.toJS())
    .find((doc) => doc?.kind === 'CustomResourceDefinition');
  if (crd?.spec?.names?.kind !== 'PodMonitor') throw new Error(`${POD_MONITOR_CRD} does not hold the PodMonitor CustomResourceDefinition`);
  const result = spawnSync(
    'npx',
    ['cdk8s', 'import', POD_MONITOR_CRD, '--output', join(ROOT, 'imports'), '--no-save', '--language', 'typescript'],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    },
  );
  if (result.status !== 0) throw new Error(`cdk8s import failed with exit status ${result.status}`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`import: ${(error as Error).message}\n`);
  process.exit(1);
}
