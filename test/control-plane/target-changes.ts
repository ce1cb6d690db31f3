/**
 * The changes the docs describe (docs/operations.md, docs/operator-upgrade.md), each as the commits a user makes
 * to values/ (a copy of the tests' values), synthesized with the real synth into a scratch copy of those values'
 * dist/ (outside git, so synth's guards compare with that copy: each commit is "committed" for the next).
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSynth } from '../../lib/synth/run';
import { loadTargetValues, ValuesError } from '../../lib/values';
import { fixtureDist } from '../support/fixture-dist';
import { ValuesDir } from '../support/values-dir';

/** One commit: sets keys in the environment's values file, given the target's values as committed. */
type Commit = (values: ValuesDir, file: string, current: CurrentValues) => void;

interface CurrentValues {
  readonly replicas: number;
  readonly image: string;
  readonly provisioningAutomated: boolean;
}

export interface Change {
  readonly name: string;
  readonly commits: readonly Commit[];
  /** Not a change for this target (already so): nothing to apply. */
  readonly notFor?: (current: CurrentValues & { snapshots: boolean; metrics: boolean; operator: string }) => boolean;
}

/** The next minor of an image's tag: `:1.4` → `:1.5`, `:1.4.4` → `:1.5.0` (the shipped values pin a patch release). */
const nextMinor = (image: string) =>
  image.replace(/:(\d+)\.(\d+)(\.\d+)?$/, (_, major, minor, patch) => `:${major}.${Number(minor) + 1}${patch ? '.0' : ''}`);

export const CHANGES: readonly Change[] = [
  { name: 'scale out (one more replica)', commits: [(v, f, c) => v.set(f, ['replicas'], c.replicas + 1)] },
  {
    name: 'scale in, two commits (drain Job, then fewer replicas)',
    commits: [
      (v, f, c) => v.set(f, ['scaleIn'], { from: c.replicas, to: c.replicas - 1 }),
      (v, f, c) => v.set(f, ['replicas'], c.replicas - 1),
    ],
  },
  { name: 'image to the next minor', commits: [(v, f, c) => v.set(f, ['image'], nextMinor(c.image))] },
  { name: 'config change (log filter)', commits: [(v, f) => v.set(f, ['restate', 'logFilter'], 'debug')] },
  {
    // vultr's object store declares neither guarantee snapshots need: docs/object-storage-and-credentials.md
    // says to accept the risk explicitly.
    name: 'snapshots on (accepting the missing store guarantees)',
    commits: [
      (v, f) =>
        v
          .set(f, ['snapshots', 'enabled'], true)
          .set(f, ['objectStorage', 'acceptMissingGuarantees'], ['readAfterWrite', 'conditionalWrites']),
    ],
    notFor: (c) => c.snapshots,
  },
  { name: 'metrics on', commits: [(v, f) => v.set(f, ['metrics', 'enabled'], true)], notFor: (c) => c.metrics },
  {
    name: 'provisioning automated on',
    commits: [(v, f) => v.set(f, ['provisioning', 'automated'], true)],
    notFor: (c) => c.provisioningAutomated,
  },
  {
    name: 'operator 1.7.4 to 2.8.1 in three commits',
    commits: [
      (v, f) => v.set(f, ['operator', 'crdsVersion'], '2.8.1'),
      (v, f, c) => {
        v.set(f, ['operator', 'version'], '2.8.1');
        if (c.provisioningAutomated) v.set(f, ['provisioning', 'by'], 'job');
      },
      (v, f, c) => {
        if (c.provisioningAutomated) v.set(f, ['provisioning', 'by'], undefined);
      },
    ],
    notFor: (c) => c.operator !== '1.7.4',
  },
];

export interface SynthStep {
  /** The target folder after this commit, or the synth's refusal. */
  readonly dir?: string;
  readonly refused?: string;
}

/** A scratch copy of the tests' values and their dist/, in which a change's commits are synthesized one by one. */
export class ChangeWorkspace {
  readonly values = new ValuesDir();
  readonly outdir = join(mkdtempSync(join(tmpdir(), 'apply-change-')), 'dist');
  readonly file: string;

  constructor(
    private readonly environment: string,
    private readonly provider: string,
  ) {
    cpSync(fixtureDist(), this.outdir, { recursive: true });
    this.file = `environments/${environment}.yaml`;
  }

  get dir(): string {
    return join(this.outdir, this.environment, this.provider);
  }

  current(): Parameters<NonNullable<Change['notFor']>>[0] {
    const { values } = loadTargetValues(this.values.path, this.environment, this.provider);
    return {
      replicas: values.replicas,
      image: values.image,
      provisioningAutomated: values.provisioning.automated,
      snapshots: values.snapshots.enabled,
      metrics: values.metrics.enabled,
      operator: values.operator.version,
    };
  }

  /** Makes one commit and synthesizes the target; a ValuesError is the synth refusing it (nothing written). */
  commit(commit: Commit): SynthStep {
    commit(this.values, this.file, this.current());
    try {
      runSynth({
        environment: this.environment,
        provider: this.provider,
        valuesDir: this.values.path,
        outdir: this.outdir,
        allowStorageChange: false,
      });
      return { dir: this.dir };
    } catch (error) {
      if (error instanceof ValuesError) return { refused: error.message };
      throw error;
    }
  }

  remove(): void {
    this.values.remove();
  }
}
