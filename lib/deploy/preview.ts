import { diffArgs, type ApplyOptions } from './kubectl';
import { indent, type Session } from './session';
import type { DeployTarget } from './target';
import { isUnreachable, unreachableHint } from './unreachable';

export interface PreviewResult {
  /** Files that would change the cluster. */
  readonly changed: readonly string[];
  /** Files kubectl could not diff, with its message. */
  readonly failed: ReadonlyArray<{ readonly file: string; readonly message: string }>;
  /** Files left out on purpose (the SOPS-encrypted Secret). */
  readonly skipped: readonly string[];
}

/**
 * `kubectl diff --server-side` of every file of the target, in file order (promote's order). kubectl diff exits 0 when
 * nothing would change, 1 when something would, and above 1 when it failed. Every file is diffed even when
 * one fails, so the preview is complete.
 */
export function preview(session: Session, target: DeployTarget, options: ApplyOptions = {}): PreviewResult {
  const changed: string[] = [];
  const failed: Array<{ file: string; message: string }> = [];
  const skipped: string[] = [];
  for (const file of [...target.files, ...(target.secretFile ? [target.secretFile] : [])].sort()) {
    if (file === target.secretFile) {
      session.report.info(`${file}: not diffed: ${SOPS_SKIP_REASON}`);
      skipped.push(file);
      continue;
    }
    const result = session.run(diffArgs(session.context, file, options));
    if (result.code === 0) {
      session.report.info(`${file}: no differences`);
    } else if (result.code === 1) {
      changed.push(file);
      session.report.info(`${file}: differences:`);
      session.report.info(indent(result.stdout, '  '));
    } else {
      const message = (result.stderr || result.stdout).trim();
      failed.push({ file, message });
      session.report.warn(`${file}: kubectl diff failed (exit ${result.code}):\n${indent(message)}`);
      // A cluster that does not answer fails every file alike (each after its own timeout): one is enough to say so.
      if (isUnreachable(message)) break;
    }
  }
  return { changed, failed, skipped };
}

/** A hint for a failed diff on a cluster that does not have the operator (and so the CRDs) yet. */
export const FIRST_DEPLOY_HINT =
  'On a cluster that has never been promoted, diffs of the RestateCluster (its CRD is not installed yet) and of ' +
  'objects in namespaces that do not exist yet fail: the server cannot dry-run them. Promote applies in order and ' +
  'creates them.';

/** A hint for a diff the server refused because another field manager owns fields the file sets. */
export const CONFLICT_HINT =
  'A conflict names another field manager (a `kubectl edit`, another tool) that owns fields this target sets: ' +
  'pass --force-conflicts to preview and promote when this stack should own them (docs/deploying.md).';

/**
 * What to tell the user after failed diffs, from kubectl's messages: a field-manager conflict is no first-deploy
 * problem (a real server answers a conflicting dry-run apply with "Apply failed with N conflict(s)").
 */
export function previewFailureHints(failed: PreviewResult['failed'], context: string): string {
  if (failed.some((f) => isUnreachable(f.message)))
    return unreachableHint(context, 'nothing was compared and the remaining files were not tried', 'preview');
  const conflict = failed.some((f) => /Apply failed with \d+ conflicts?/.test(f.message));
  const other = failed.some((f) => !/Apply failed with \d+ conflicts?/.test(f.message));
  return [...(other ? [FIRST_DEPLOY_HINT] : []), ...(conflict ? [CONFLICT_HINT] : [])].join(' ');
}

/**
 * Why preview leaves the SOPS-encrypted Secret out. Diffing it would mean decrypting it, so a preview (often run
 * by reviewers or CI that have no key, and meant to be harmless) would need the private key and would fail
 * without it; and the diff could only say that the encrypted values changed, which the git diff of the file
 * already shows. Promote decrypts it and applies it server-side.
 */
export const SOPS_SKIP_REASON =
  'SOPS-encrypted Secret; diffing it would need its private key, and its changes are the git diff of the file. ' +
  'promote decrypts it with sops and applies it once the cluster namespace exists.';
