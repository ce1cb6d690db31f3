import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { ValuesDir } from '../support/values-dir';
import { git } from '../support/git-repo';

describe('adopting a running cluster into Argo CD', () => {
  test('synth says once that the RestateCluster gains the tracking id, and that applying it rolls every pod once', () => {
    // GIVEN a committed dev/vultr whose RestateCluster has no tracking id yet (as before the GitOps entries)
    const values = new ValuesDir();
    const root = mkdtempSync(join(tmpdir(), 'restate-stack-adoption-'));
    const dist = join(root, 'dist');
    const synth = () =>
      runSynth({ environment: 'dev', provider: 'vultr', valuesDir: values.path, outdir: dist, allowStorageChange: false });
    try {
      git(root, ['init', '-q']);
      synth();
      const file = join(dist, 'dev/vultr/0001-cluster.k8s.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {4}argocd\.argoproj\.io\/tracking-id: .*\n/m, ''));
      git(root, ['add', '-A']);
      git(root, ['commit', '-qm', 'before']);
      // WHEN synthesized again
      const first = synth();
      // THEN one warning says that the pods roll once (docs/warnings.md has the rest), beside the roll of the change
      expect(first.warnings.filter((w) => w.id === 'gitops-adoption-roll')).toEqual([
        { id: 'gitops-adoption-roll', target: 'dev/vultr', text: "RestateCluster gains Argo CD's marks: all pods restart once" },
      ]);
      // AND once that is committed, nothing more is said
      git(root, ['add', '-A']);
      git(root, ['commit', '-qm', 'after']);
      expect(synth().warnings).toEqual([]);
    } finally {
      values.remove();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
