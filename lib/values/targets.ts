import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValuesError } from './errors';
import { isData } from './merge';
import { displayPath, listNames, readLayer } from './load';

/** One thing `npm run synth` builds: an environment on a provider. */
export interface Target {
  readonly environment: string;
  readonly provider: string;
}

export function targetDir(target: Target): string {
  return join(target.environment, target.provider);
}

/** Reads `targets.yaml`: the environment × provider pairs that a plain `npm run synth` builds. */
export function loadTargets(valuesDir: string): Target[] {
  const file = join(valuesDir, 'targets.yaml');
  if (!existsSync(file)) throw ValuesError.single(displayPath(file), '', 'missing: it lists the targets to build');
  const layer = readLayer(file);
  const list = layer.data.targets;
  if (!Array.isArray(list) || list.length === 0) {
    throw ValuesError.single(layer.file, 'targets', 'must be a non-empty list of {environment, provider}');
  }
  const environments = listNames(join(valuesDir, 'environments'));
  const providers = listNames(join(valuesDir, 'providers'));
  const seen = new Set<string>();
  return list.map((entry: unknown, index: number) => {
    const at = `targets.${index}`;
    if (!isData(entry) || Object.keys(entry).sort().join(',') !== 'environment,provider') {
      throw ValuesError.single(layer.file, at, 'must have exactly the keys environment and provider');
    }
    const { environment, provider } = entry as { environment: unknown; provider: unknown };
    if (typeof environment !== 'string' || !environments.includes(environment)) {
      throw ValuesError.single(layer.file, `${at}.environment`, `unknown environment ${JSON.stringify(environment)}; known: ${environments.join(', ')}`);
    }
    if (typeof provider !== 'string' || !providers.includes(provider)) {
      throw ValuesError.single(layer.file, `${at}.provider`, `unknown provider ${JSON.stringify(provider)}; known: ${providers.join(', ')}`);
    }
    const key = `${environment}/${provider}`;
    if (seen.has(key)) throw ValuesError.single(layer.file, at, `${key} is listed twice`);
    seen.add(key);
    return { environment, provider };
  });
}
