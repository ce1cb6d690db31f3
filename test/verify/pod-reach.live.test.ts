import { join } from 'node:path';
import { runInSandbox } from '../../lib/verify/sandbox';
import type { PodReachRecord } from '../support/pod-reach-scenario';

// verify's pods run as uids of their own; a checkout under a 0700 folder (root's home) is out of their reach unless
// the sandbox opens the folders above it in its own mount namespace.
describe("what verify's pods reach of a 0700 folder", () => {
  let record: PodReachRecord;

  beforeAll(async () => {
    // GIVEN a 0700 folder with a space in its name, holding a file anyone may read, and a file only its owner may read
    // WHEN a pod's uid is checked against them before and after the folder is opened in the sandbox
    const outcome = await runInSandbox<Record<string, never>, PodReachRecord>({
      entry: join(__dirname, '..', 'support', 'pod-reach-scenario.ts'),
      input: {},
      hosts: '127.0.0.1 localhost\n',
      deadlineMs: 30_000,
      output: 'capture',
    });
    if (!outcome.result.ok) throw new Error(`${outcome.result.error}\n${outcome.log}`);
    record = outcome.result.value;
  }, 45_000);

  test('before the folder is opened, the check names the file, the uid and the folder in the way, in one line', () => {
    expect(record.before).toBe(
      `the pods (uid 30000) cannot read ${record.closedFolder}/agent.ts: ${record.closedFolder} has mode 0700 (owner uid 0); ` +
        'verify runs each pod as its own uid, so the checkout, node_modules and Node itself must be readable by other users ' +
        '(clone with umask 022, or `chmod -R o+rX` the checkout), or run verify from a checkout that is',
    );
  });

  test('opening the folder lets the pod read the file through it', () => {
    expect(record.opened).toEqual([record.closedFolder]);
    expect(record.after).toBe('reached');
  });

  test('a file only its owner may read is still refused, by name and mode', () => {
    expect(record.ownerOnlyFile).toMatch(
      /^the pods \(uid 30000\) cannot read \S+\/owner-only\.ts: \S+\/owner-only\.ts has mode 0600 \(owner uid 0\); /,
    );
  });
});
