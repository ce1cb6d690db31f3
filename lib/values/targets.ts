import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValuesError, type ValuesProblem } from './errors';
import { isData } from './merge';
import { assertValuesDir, listNames, readLayer } from './load';
import { displayPath } from './read-file';
import { didYouMean } from './suggest';

/** One thing `npm run synth` builds: an environment on a provider. */
export interface Target {
  readonly environment: string;
  readonly provider: string;
}

export function targetDir(target: Target): string {
  return join(target.environment, target.provider);
}

/** Reads `targets.yaml`: the environment × provider pairs that a plain `npm run synth` builds. Reports every bad entry. */
export function loadTargets(valuesDir: string): Target[] {
  assertValuesDir(valuesDir);
  const file = join(valuesDir, 'targets.yaml');
  if (!existsSync(file)) throw ValuesError.single(displayPath(file), '', 'missing: it lists the targets to build');
  const layer = readLayer(file);
  const problems: ValuesProblem[] = [];
  const problem = (keyPath: string, message: string) => problems.push({ file: layer.file, keyPath, message });
  for (const key of Object.keys(layer.data).filter((k) => k !== 'targets')) problem(key, 'unknown key (targets.yaml holds only "targets")');
  const list = layer.data.targets;
  if (!Array.isArray(list) || list.length === 0) {
    problem('targets', 'must be a non-empty list of {environment, provider}');
    throw new ValuesError(problems);
  }
  const known = { environment: listNames(join(valuesDir, 'environments')), provider: listNames(join(valuesDir, 'providers')) };
  const seen = new Map<string, number>();
  const targets: Target[] = [];
  list.forEach((entry: unknown, index: number) => {
    const at = `targets.${index}`;
    if (!isData(entry)) {
      problem(at, `must be a mapping {environment, provider}, got ${JSON.stringify(entry)}`);
      return;
    }
    for (const key of Object.keys(entry).filter((k) => k !== 'environment' && k !== 'provider'))
      problem(`${at}.${key}`, 'unknown key (an entry has environment and provider)');
    let ok = true;
    for (const kind of ['environment', 'provider'] as const) {
      const name = entry[kind];
      if (name === undefined) problem(`${at}.${kind}`, 'is required');
      else if (typeof name !== 'string' || !known[kind].includes(name)) {
        const hint = typeof name === 'string' ? didYouMean(name, known[kind]) : '';
        problem(`${at}.${kind}`, `unknown ${kind} ${JSON.stringify(name)}${hint}; known: ${known[kind].join(', ') || '(none)'}`);
      } else continue;
      ok = false;
    }
    if (!ok) return;
    const target = { environment: entry.environment as string, provider: entry.provider as string };
    const key = `${target.environment}/${target.provider}`;
    if (seen.has(key)) problem(at, `${key} is listed twice (also targets.${seen.get(key)})`);
    else {
      seen.set(key, index);
      targets.push(target);
    }
  });
  if (problems.length > 0) throw new ValuesError(problems);
  return targets;
}
