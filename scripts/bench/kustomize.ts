import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from './timing';

/**
 * The yardstick for synth: `kubectl kustomize` rendering one overlay per target that holds the same objects
 * as the committed target folder (the operator delivery and the RestateCluster), one kubectl process per
 * overlay, as a plain-YAML repository would render them.
 */
export function prepareKustomizeOverlays(dist: string, targetDirs: readonly string[]): { command: Command; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'restate-stack-bench-kustomize-'));
  const overlays = targetDirs.map((target, i) => {
    const overlay = join(dir, `overlay-${i}`);
    mkdirSync(overlay);
    const files = readdirSync(join(dist, target))
      .filter((name) => name.endsWith('.k8s.yaml'))
      .sort();
    for (const name of files) copyFileSync(join(dist, target, name), join(overlay, name));
    writeFileSync(join(overlay, 'kustomization.yaml'), `resources:\n${files.map((name) => `- ${name}\n`).join('')}`);
    return overlay;
  });
  const script = overlays.map((overlay) => `kubectl kustomize ${overlay} >/dev/null`).join(' && ');
  return {
    command: { name: 'kustomize', program: 'sh', args: ['-c', script], cwd: dir },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
