import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listTargetFiles, TARGET_FILE } from '../target-folder/files';
import { isRecord, parseManifest } from '../target-folder/restate-cluster';
import { ManifestError } from '../target-folder/manifest-error';
import type { ManifestObject, TargetManifests } from './change-rules';
import type { CommittedOutput } from './committed';

/**
 * The kinds the change rules read. Only documents of these kinds are parsed: a target's files are mostly other
 * objects (the operator's chart, NetworkPolicies), and synth runs the rules on every target every time.
 */
export const RULE_KINDS = ['RestateCluster', 'Job'] as const;
const RULE_KIND = new RegExp(`^kind: (${RULE_KINDS.join('|')})\\s*$`, 'm');

/**
 * The objects of the rules' kinds in one manifest file; a file that is not YAML (a merge left conflict markers)
 * is an error naming it. A line `---` at column 0 ends a YAML document wherever it stands, so splitting there
 * is what a YAML parser does.
 */
function objectsOf(label: string, text: string): ManifestObject[] {
  const relevant = text.split(/^---[ \t]*$/m).filter((doc) => RULE_KIND.test(doc) || /^(<{7}|={7}|>{7})( |$)/m.test(doc));
  const manifest = parseManifest(relevant.join('---\n'));
  const broken = manifest.yamlError ?? (/^(<{7}|={7}|>{7})( |$)/m.test(text) ? 'it holds merge conflict markers' : undefined);
  if (broken !== undefined) {
    throw new ManifestError(
      label,
      '',
      `is not valid YAML (${broken}); the change rules cannot compare with it. Fix the committed file (resolve the merge, or re-run synth on the base branch)`,
    );
  }
  return manifest.objects.filter(isRecord);
}

/** A target's chart files as committed, or undefined when none is. */
export function committedManifests(committed: CommittedOutput, folder: string, shown: string): TargetManifests | undefined {
  const objects: ManifestObject[] = [];
  let label: string | undefined;
  for (const name of committed.files(folder).filter((file) => TARGET_FILE.test(file))) {
    const file = committed.read(folder, name);
    if (!file) continue;
    // The folder as its files are labelled: `HEAD:dist/prod/aws` (or the path on disk outside git).
    label ??= file.label.endsWith(`/${name}`) ? file.label.slice(0, -name.length - 1) : shown;
    objects.push(...objectsOf(file.label, file.text));
  }
  return label === undefined ? undefined : { label, objects };
}

/** A freshly synthesized target folder. */
export function folderManifests(folder: string, label: string): TargetManifests {
  const objects = listTargetFiles(folder).files.flatMap((file) => objectsOf(join(label, file), readFileSync(file, 'utf8')));
  return { label, objects };
}
