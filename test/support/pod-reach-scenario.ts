/**
 * Runs inside the sandbox for pod-reach.live.test.ts: what a pod's uid reaches in a 0700 folder before and after
 * the folder is opened in the sandbox's mount namespace, and what it is told about a file only its owner may read.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedMain } from '../../lib/verify/isolated-main';
import { POD_UID_BASE } from '../../lib/verify/pods';
import { assertPodsCanReach, openPathsForPods } from '../../lib/verify/pod-reach';

export interface PodReachRecord {
  readonly closedFolder: string;
  readonly before: string;
  readonly opened: string[];
  readonly after: string;
  readonly ownerOnlyFile: string;
}

const outcome = (check: () => void): string => {
  try {
    check();
    return 'reached';
  } catch (error) {
    return (error as Error).message;
  }
};

isolatedMain<Record<string, never>, PodReachRecord>(async (_input, context) => {
  chmodSync(context.workDir, 0o711);
  const closedFolder = join(context.workDir, 'closed folder');
  mkdirSync(closedFolder, { mode: 0o700 });
  const file = join(closedFolder, 'agent.ts');
  writeFileSync(file, '', { mode: 0o644 });
  const ownerOnly = join(context.workDir, 'owner-only.ts');
  writeFileSync(ownerOnly, '', { mode: 0o600 });
  const needs = [{ path: file, access: 'r' as const }];
  const before = outcome(() => assertPodsCanReach(POD_UID_BASE, needs));
  const opened = openPathsForPods([file]);
  const after = outcome(() => assertPodsCanReach(POD_UID_BASE, needs));
  const ownerOnlyFile = outcome(() => assertPodsCanReach(POD_UID_BASE, [{ path: ownerOnly, access: 'r' }]));
  return { closedFolder, before, opened, after, ownerOnlyFile };
});
