/**
 * Names of the files in a synthesized target folder that more than one part of the stack reads or writes
 * (synth, deploy, verify). Kept here, free of heavy imports, so the deploy and verify entry points can use them
 * without loading cdk8s.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChartIds } from './charts';

/** The operator delivery (the first chart). */
export const OPERATOR_FILE = `0000-${ChartIds.OPERATOR}.k8s.yaml`;

/** The RestateCluster (the second chart). */
export const CLUSTER_FILE = `0001-${ChartIds.CLUSTER}.k8s.yaml`;

/** The SOPS-encrypted credentials Secret, copied byte for byte; its name sorts it right after the cluster file. */
export const SOPS_SECRET_FILE = '0001-cluster.secret.sops.yaml';

/**
 * Every file name synth writes into a target folder: `NNNN-<chart id>.k8s.yaml` (the number is the apply order)
 * and the SOPS file. Synth replaces and deletes only files of these names; any other file is not its own.
 */
export const TARGET_FILE = /^(\d{4})-([a-z0-9-]+)\.k8s\.yaml$/;

export function isSynthFile(name: string): boolean {
  return TARGET_FILE.test(name) || name === SOPS_SECRET_FILE;
}

/** The Argo CD entry objects of a target: its Application(s), AppProject, the argocd-cm patch (docs/gitops.md). */
export const ARGOCD_FOLDER = 'argocd';
/** The Flux entry of a target: its Kustomizations, one folder per step (docs/gitops.md). */
export const FLUX_FOLDER = 'flux';

/**
 * Subfolders of a target folder that synth writes whole: it replaces each on every run and owns everything in
 * it (a file of yours inside is not kept). Neither holds anything `kubectl apply -f <target folder>` reads.
 */
export function isSynthFolder(name: string): boolean {
  return name === ARGOCD_FOLDER || name === FLUX_FOLDER;
}

/**
 * Whether a path relative to a target folder (`/`-separated) is one of synth's files: a chart file or the SOPS file at
 * the top, or any file below argocd/ or flux/, which synth writes whole.
 */
export function isSynthPath(path: string): boolean {
  const parts = path.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) return false;
  return parts.length === 1 ? isSynthFile(parts[0]!) : isSynthFolder(parts[0]!);
}

/**
 * Synth's files in a target folder, as `/`-separated paths relative to it, sorted: the chart files and the SOPS file,
 * then every file below argocd/ and flux/ (an Application, a Kustomization: what Argo CD or Flux is pointed at). None
 * when the folder does not exist. Every comparison of a target folder with a synth (synth's own report, deploy's
 * freshness check, plan) reads this list, so that a change to the GitOps entry is a change like any other.
 */
export function synthPathsOf(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const paths: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(folder, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (relative !== '' || isSynthFolder(entry.name)) walk(path);
      } else if (entry.isFile() && isSynthPath(path)) paths.push(path);
    }
  };
  walk('');
  return paths.sort();
}

/** Whether an entry of a target folder (a file or a folder, by name) is synth's own. */
export function isSynthEntry(name: string, isDirectory: boolean): boolean {
  return isDirectory ? isSynthFolder(name) : isSynthFile(name);
}

/** The chart files of a target folder. */
export interface TargetFolderFiles {
  /** Every `NNNN-<chart id>.k8s.yaml` file (path joined to the folder), in file (= apply) order. */
  readonly files: readonly string[];
  /** The same files by chart id (see `ChartIds`). */
  readonly byChart: ReadonlyMap<string, string>;
}

/** Lists the chart files of an existing target folder. */
export function listTargetFiles(folder: string): TargetFolderFiles {
  const files: string[] = [];
  const byChart = new Map<string, string>();
  for (const name of readdirSync(folder).sort()) {
    const match = TARGET_FILE.exec(name);
    if (!match) continue;
    files.push(join(folder, name));
    byChart.set(match[2]!, join(folder, name));
  }
  return { files, byChart };
}

/** Marks an output folder as synth's own (committed with it); synth replaces only inside a folder it marked. */
export const OUTPUT_MARKER = '.restate-stack-output';

/**
 * Written into the output folder once a synth's staging is complete and removed when every target folder is in
 * place; while it exists a target folder may be missing or old. The next synth finishes the moves it lists.
 */
export const SYNTH_JOURNAL = '.synth-journal';

/** A reader's message when an interrupted synth left its journal in `dist`, or undefined. */
export function interruptedSynth(dist: string): string | undefined {
  if (!existsSync(join(dist, SYNTH_JOURNAL))) return undefined;
  return (
    `${join(dist, SYNTH_JOURNAL)} exists: a synth into ${dist} was interrupted while moving target folders into place, ` +
    'so a target folder may be missing or old. Run `npm run synth` (or deploy:build) again: it finishes the moves first'
  );
}
