import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthPathsOf } from '../target-folder/files';
import { type LoadedValues, targetDir, ValuesError } from '../values';
import { DeployError } from './errors';

/** What differs between a target folder and a fresh synth of its values, one line per file (argocd/ and flux/ included). */
export function freshDifferences(folder: string, fresh: string): string[] {
  const ours = synthPathsOf(folder);
  const theirs = synthPathsOf(fresh);
  const lines: string[] = [];
  for (const name of [...new Set([...ours, ...theirs])].sort()) {
    if (!ours.includes(name)) lines.push(`${name}: missing (a fresh synth writes it)`);
    else if (!theirs.includes(name)) lines.push(`${name}: a fresh synth no longer writes it`);
    else if (!readFileSync(join(folder, name)).equals(readFileSync(join(fresh, name)))) lines.push(`${name}: differs`);
  }
  return lines;
}

/**
 * Refuses a target folder that is not what the current values synthesize: promote applies what is in the
 * folder, so a stale one (values edited since the build, a hand edit, a half-merged pull request) would be
 * applied and reported as a success. The values are synthesized afresh into a scratch folder and compared
 * byte for byte, file by file, the GitOps entry below argocd/ and flux/ too: `kubectl apply -f <folder>/argocd/` would
 * otherwise point Argo CD at what the values no longer say. Files synth does not write are not compared.
 */
export function assertFresh(folder: string, loaded: LoadedValues, valuesDir: string, rebuild: string, helmExecutable?: string): void {
  // Loaded here: the synth pulls in cdk8s and the constructs, which the other deploy commands do not need.
  const { synthTarget } = require('../synth/run') as typeof import('../synth/run');
  const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-fresh-'));
  try {
    const fresh = join(scratch, 'target');
    try {
      // The target's own folder name: the GitOps entry names its path in the repository (Application source.path).
      synthTarget(fresh, loaded, valuesDir, { helmExecutable }, targetDir(loaded.values));
    } catch (error) {
      if (error instanceof ValuesError) throw error;
      throw new DeployError(`cannot check ${folder} against a fresh synth of the values: ${(error as Error).message}`);
    }
    const differences = freshDifferences(folder, fresh);
    if (differences.length > 0) {
      throw new DeployError(
        `${folder} differs from a fresh synth of the values in ${valuesDir} (stale build?):\n` +
          differences.map((line) => `  ${line}\n`).join('') +
          `${rebuild}, review the diff, and commit it`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
