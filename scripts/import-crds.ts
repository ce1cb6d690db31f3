/**
 * Regenerates imports/ from the upstream CRD files that scripts/crd-pins.ts pins (URL and sha256 of each):
 *
 *   imports/crds/<group>-<tag>.ts        the CustomResourceDefinitions as data, as an API server takes them (tests
 *                                        install them, and validate objects against their schemas)
 *   imports/operator-<version>/restate.dev.ts   the RestateCluster class of each operator version (`cdk8s import`)
 *   imports/<group>.ts                   the Argo CD, Flux, PodMonitor and PrometheusRule classes (`cdk8s import`)
 *
 * Usage: npm run import [-- --from upstream|DIR|URL|generated] [--out DIR]
 *
 *   --from upstream   download each file from its pinned URL at the tag
 *   --from DIR        read each file under DIR, at the path the pin names (the layout of ../shared/crds)
 *   --from URL        download each file from URL/<that path> (a mirror of such a folder)
 *   --from generated  no upstream file: the CRDs already in imports/crds/ (after a change to this script or cdk8s)
 *   default           ../shared/crds beside the checkout when it exists, else upstream
 *   --out DIR         write the tree into DIR instead of imports/ (to compare)
 *
 * Every file is read and checked (its sha256, then the CRDs it holds) before anything is written, and everything is
 * generated into a private folder first: a failure prints one line naming its cause and leaves imports/ as it was.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CRD_PINS, type CrdModulePin } from './crd-pins';
import { type Crd, type CrdSource, CrdSourceError, checkCrds, checkGeneratedFrom, crdsOf, readLocal, readPinnedFile } from './crd-source';

const ROOT = resolve(__dirname, '..');
const SHARED_CRDS = resolve(ROOT, '..', 'shared', 'crds');
const CDK8S = join(ROOT, 'node_modules', '.bin', 'cdk8s');
const USAGE = 'usage: npm run import [-- --from upstream|DIR|URL|generated] [--out DIR]';

/** Which typed classes `cdk8s import` makes of which CRDs, into which folder of imports/ (one module per API group). */
const TYPED: ReadonlyArray<{ readonly module: string; readonly kinds?: readonly string[]; readonly folder: string }> = [
  // one folder per operator version: two imports of restate.dev into one folder overwrite each other
  { module: 'restate.dev-v1.7.4', kinds: ['RestateCluster'], folder: 'operator-1.7.4' },
  { module: 'restate.dev-v2.8.1', kinds: ['RestateCluster'], folder: 'operator-2.8.1' },
  { module: 'argoproj.io-v3.5.1', folder: '.' },
  { module: 'source.toolkit.fluxcd.io-v1.9.1', folder: '.' },
  { module: 'helm.toolkit.fluxcd.io-v1.6.3', folder: '.' },
  { module: 'kustomize.toolkit.fluxcd.io-v1.9.4', folder: '.' },
  { module: 'monitoring.coreos.com-v0.93.0', folder: '.' }, // PodMonitor and PrometheusRule, one module
];

type Source = CrdSource | { readonly kind: 'generated' };

function parseArgs(argv: readonly string[]): { source: Source; out: string } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i]!, argv[i + 1]];
    if (name !== '--from' && name !== '--out') throw new CrdSourceError(`unknown argument ${name}; ${USAGE}`);
    if (value === undefined || value.startsWith('--')) throw new CrdSourceError(`${name} needs a value; ${USAGE}`);
    values.set(name, value);
  }
  const from = values.get('--from') ?? (existsSync(SHARED_CRDS) ? SHARED_CRDS : 'upstream');
  const source: Source =
    from === 'upstream' || from === 'generated'
      ? { kind: from }
      : /^https?:\/\//.test(from)
        ? { kind: 'mirror', at: from }
        : { kind: 'folder', at: resolve(from) };
  return { source, out: resolve(values.get('--out') ?? join(ROOT, 'imports')) };
}

/** Each module's CRDs, all read and checked before anything is generated. */
async function readModules(source: Source): Promise<Map<string, Crd[]>> {
  const modules = new Map<string, Crd[]>();
  for (const pin of CRD_PINS) {
    if (source.kind === 'generated') {
      const file = join(ROOT, 'imports', 'crds', `${pin.module}.ts`);
      const from = relative(ROOT, file);
      checkGeneratedFrom(from, readLocal(file), pin);
      const { crds } = require(file) as { crds: Record<string, any>[] };
      modules.set(pin.module, checkCrds(from, crds, pin.group, kindsOf(pin)));
      continue;
    }
    const crds: Crd[] = [];
    for (const file of pin.files) {
      const { text, from } = await readPinnedFile(file, source);
      crds.push(...crdsOf(from, text, pin.group, file.kinds));
    }
    modules.set(pin.module, crds);
  }
  return modules;
}

function kindsOf(pin: CrdModulePin): string[] {
  return pin.files.flatMap((file) => file.kinds);
}

/** What the API server needs of a CRD: its name and the labels and annotations upstream gives it, and the whole spec. */
function served(crd: Crd): Crd {
  const { name, labels, annotations } = crd.metadata;
  return { apiVersion: crd.apiVersion, kind: crd.kind, metadata: { name, labels, annotations }, spec: crd.spec };
}

/** imports/crds/<module>.ts: a header naming each upstream file and its sha256, and the CRDs as data. */
function crdModuleText(pin: CrdModulePin, crds: readonly Crd[]): string {
  const tag = pin.module.slice(pin.group.length + 1);
  const sources = pin.files.flatMap((file) => [
    ...file.upstream.map((url, index) => `//   ${index > 0 ? '+ ' : ''}${url}`),
    `//     sha256 ${file.sha256}${file.upstream.length > 1 ? ' (of these joined by a line ---)' : ''}`,
  ]);
  return [
    '// Generated by scripts/import-crds.ts (`npm run import`); do not edit.',
    `// The CustomResourceDefinitions of ${pin.group} at ${tag}, as an API server takes them: ${kindsOf(pin).join(', ')}.`,
    '// From these upstream files, each read only if its sha256 is the one scripts/crd-pins.ts records:',
    ...sources,
    "import type { ICustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';",
    '',
    `export const crds: readonly ICustomResourceDefinition[] = ${JSON.stringify(crds.map(served), null, 2)};`,
    '',
  ].join('\n');
}

function cdk8sImport(file: string, outdir: string): void {
  mkdirSync(outdir, { recursive: true });
  const result = spawnSync(CDK8S, ['import', file, '--output', outdir, '--no-save', '--language', 'typescript'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  if (result.status !== 0) {
    const why = result.error?.message ?? (result.stderr.trim().split('\n').pop() || `exit status ${result.status}`);
    throw new CrdSourceError(`cdk8s import into ${outdir} failed: ${why}`);
  }
}

/** Everything imports/ holds, generated into `staging`. */
function generate(modules: ReadonlyMap<string, Crd[]>, staging: string): void {
  const inputs = join(staging, 'inputs');
  const tree = join(staging, 'imports');
  mkdirSync(join(tree, 'crds'), { recursive: true });
  mkdirSync(inputs);
  for (const pin of CRD_PINS) writeFileSync(join(tree, 'crds', `${pin.module}.ts`), crdModuleText(pin, modules.get(pin.module)!));
  for (const { module, kinds, folder } of TYPED) {
    // JSON is YAML: one document per CRD, the same text whatever the source, so the classes depend on the CRDs only
    const crds = modules.get(module)!.filter((crd) => !kinds || kinds.includes(crd.spec.names.kind));
    const file = join(inputs, `${module}.yaml`);
    writeFileSync(file, crds.map((crd) => JSON.stringify(crd)).join('\n---\n'));
    cdk8sImport(file, join(tree, folder));
  }
}

async function main(): Promise<void> {
  const { source, out } = parseArgs(process.argv.slice(2));
  const named = source.kind === 'upstream' || source.kind === 'generated' ? source.kind : source.at;
  process.stdout.write(`import: reading the CRDs from ${named}\n`);
  const modules = await readModules(source);
  const staging = mkdtempSync(join(tmpdir(), 'restate-stack-import-'));
  try {
    generate(modules, staging);
    cpSync(join(staging, 'imports'), out, { recursive: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  process.stdout.write(`import: wrote ${relative(process.cwd(), out) || '.'}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`import: ${error instanceof CrdSourceError ? error.message : error.stack}\n`);
  process.exit(1);
});
