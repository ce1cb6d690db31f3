import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeployArgs } from '../../lib/deploy/args';
import { clusterPodsArgs } from '../../lib/deploy/recover';
import { nodeIdQuery } from '../../lib/stack/day-two/recover-steps';
import { ANYTHING_ELSE_SUCCEEDS, type Rule } from '../fixtures/kubectl-stand-in';
import { deployWithStandIn, type DeployRun } from '../support/deploy-run';

// recover and status read the values and the cluster only; no synthesized dist is needed.
const dist = mkdtempSync(join(tmpdir(), 'restate-stack-recover-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));
const standIns: Array<{ remove(): void }> = [];
afterEach(() => standIns.splice(0).forEach((s) => s.remove()));

const CTX = ['--context', 'restate-dev'];
const NS = ['-n', 'restate-dev'];
const restatectl = (...argv: string[]) => [
  ...CTX,
  ...NS,
  'exec',
  'restate-0',
  '--',
  'restatectl',
  ...argv,
  '--address',
  'http://127.0.0.1:5122',
];
const DATA_LOSS =
  '{"level":"ERROR","fields":{"message":"Detected data loss for log-server of my node N3. The log-server marker is missing, storage-state was read-write"}}\n';
const CRASH_LOOPING_2 = 'restate-0\tTrue\t\t0\nrestate-1\tTrue\t\t0\nrestate-2\tFalse\tCrashLoopBackOff\t6\n';
const byName = `*sql --json ${nodeIdQuery('restate-2')} *`;
const byId = "*sql --json SELECT plain_node_id, name, storage_state FROM nodes WHERE plain_node_id = 'N3' *";

/** A dev/vultr cluster whose restate-2 (N3) lost its volume, answering every step of the recovery in turn. */
function lostVolumeCluster(log = DATA_LOSS): Rule[] {
  return [
    { match: 'config current-context', stdout: 'restate-dev\n' },
    { match: '*get pods -l *', stdout: CRASH_LOOPING_2 },
    { match: '*logs restate-2 --previous*', stdout: log },
    // the node id by name: N3 (the look-up, then the first poll after the restart), then the new N4
    { match: byName, stdout: '[{"plain_node_id":"N3","name":"restate-2","storage_state":"read-write"}]\n', times: 2 },
    { match: byName, stdout: '[{"plain_node_id":"N4","name":"restate-2","storage_state":"provisioning"}]\n' },
    // step 1's wait: still read-write once, then disabled; step 3's wait: gone
    { match: byId, stdout: '[{"plain_node_id":"N3","name":"restate-2","storage_state":"read-write"}]\n', times: 1 },
    { match: byId, stdout: '[{"plain_node_id":"N3","name":"restate-2","storage_state":"disabled"}]\n', times: 1 },
    { match: byId, stdout: '[]\n' },
    {
      match: '*sql --json SELECT plain_node_id, metadata_server_state FROM nodes*',
      stdout: '[{"plain_node_id":"N3","metadata_server_state":"standby"}]\n',
    },
    { match: '*restatectl nodes set-storage-state *', stdout: 'Storage state of N3 set to disabled\n' },
    { match: '*restatectl metadata-server remove-node *', stdout: 'Removed N3\n' },
    { match: '*restatectl nodes remove *', stdout: 'Removed N3\n' },
    { match: '*delete pvc storage-restate-2 --wait=false', stdout: 'persistentvolumeclaim "storage-restate-2" deleted\n' },
    { match: '*delete pod restate-2 *', stdout: 'pod "restate-2" deleted\n' },
  ];
}

function recover(
  rules: readonly Rule[],
  options: { yes?: boolean; node?: string; confirm?: (q: string) => boolean | 'no-tty' } = {},
): DeployRun {
  return deployWithStandIn('recover', rules, {
    dist,
    provider: 'vultr',
    cleanup: standIns,
    overrides: { node: options.node ?? 'restate-2', yes: options.yes ?? false },
    confirm: options.confirm,
  });
}

/** The calls that change the cluster (restatectl other than sql, and deletions). */
const changes = (run: DeployRun) =>
  run.calls.filter((argv) => argv.includes('delete') || (argv.includes('restatectl') && !argv.includes('sql')));

describe('deploy recover', () => {
  // On the recording kubectl: every step of recover is `kubectl exec` (restatectl in a pod) or waits on what those
  // steps change inside the pods, which needs a kubelet and Restate running (none under the test control plane).
  test('GIVEN restate-2 crash-looping with the data-loss line WHEN recover --yes THEN it runs the measured steps in restate-0, waiting after each, and exits 0', () => {
    const run = recover(lostVolumeCluster(), { yes: true });
    expect(run.err).not.toMatch(/^recover:/m);
    expect(run.code).toBe(0);
    // the reads first: the pods, the crash-looping pod's previous log, its node id through a healthy pod
    expect(run.calls.slice(1, 4)).toEqual([
      clusterPodsArgs('restate-dev', 'restate-dev'),
      [...CTX, ...NS, 'logs', 'restate-2', '--previous', '--tail=200'],
      restatectl('sql', '--json', nodeIdQuery('restate-2')),
    ]);
    // then exactly the steps of recover-steps.ts, in order
    expect(changes(run)).toEqual([
      restatectl('nodes', 'set-storage-state', '--nodes', 'N3', '--storage-state', 'disabled', '--force', '--yes'),
      restatectl('metadata-server', 'remove-node', 'N3', '--yes'),
      restatectl('nodes', 'remove', '--nodes', 'N3', '--yes'),
      [...CTX, ...NS, 'delete', 'pvc', 'storage-restate-2', '--wait=false'],
      [...CTX, ...NS, 'delete', 'pod', 'restate-2', '--timeout=300s'],
    ]);
    // each change is followed by its wait before the next one runs
    const firstChange = run.calls.findIndex((argv) => argv.includes('set-storage-state'));
    const secondChange = run.calls.findIndex((argv) => argv.includes('remove-node'));
    const pollsOfStep1 = run.calls.slice(firstChange + 1, secondChange);
    expect(pollsOfStep1).toHaveLength(2); // read-write, then disabled
    expect(run.out).toContain('recover: restate-2 is N3 and lost its data');
    expect(run.out).toContain('ok: N3 has storage state disabled');
    expect(run.out).toContain('ok: restate-2 is listed under a new node id');
    expect(run.out).toMatch(/recover: restate-2 rejoined under a new node id/);
  });

  test('GIVEN no terminal and no --yes WHEN recover THEN it shows the steps, exits 2 and changes nothing', () => {
    const run = recover(lostVolumeCluster(), { confirm: () => 'no-tty' });
    expect(run.code).toBe(2);
    expect(run.err).toContain('there is no terminal to ask on: pass --yes');
    expect(run.out).toContain('1. Disable the log-server storage of N3 (restate-2)');
    expect(changes(run)).toEqual([]);
  });

  test('GIVEN the user answers no WHEN recover THEN it exits 1 and changes nothing; a yes runs the steps', () => {
    const questions: string[] = [];
    const no = recover(lostVolumeCluster(), {
      confirm: (q) => {
        questions.push(q);
        return false;
      },
    });
    expect(no.code).toBe(1);
    expect(no.err).toContain('not confirmed: nothing was changed');
    expect(changes(no)).toEqual([]);
    expect(questions).toEqual(['Run these 4 steps on kube context "restate-dev"? [y/N] ']);
    const yes = recover(lostVolumeCluster(), { confirm: () => true });
    expect(yes.code).toBe(0);
    expect(changes(yes)).toHaveLength(5);
  });

  test('GIVEN a crash-looping pod whose log does not show the data-loss line WHEN recover --yes THEN it refuses and changes nothing', () => {
    const run = recover(lostVolumeCluster('{"level":"ERROR","fields":{"message":"failed to bind 0.0.0.0:5122"}}\n'), { yes: true });
    expect(run.code).toBe(1);
    expect(run.err).toContain('does not say "Detected data loss for log-server …"');
    expect(changes(run)).toEqual([]);
  });

  test('GIVEN a wait that never comes true WHEN recover --yes --timeout 1 THEN it stops there with the last answer, before the next step', () => {
    const rules = lostVolumeCluster();
    const stuck: Rule = { match: byId, stdout: '[{"plain_node_id":"N3","name":"restate-2","storage_state":"read-write"}]\n' };
    const run = deployWithStandIn('recover', [stuck, ...rules], {
      dist,
      provider: 'vultr',
      cleanup: standIns,
      overrides: { node: 'restate-2', yes: true, timeoutSeconds: 1 },
    });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/timed out after 1s waiting until N3 has storage state disabled; last answer: \[\{"plain_node_id":"N3"/);
    expect(changes(run)).toHaveLength(1);
  });

  test('GIVEN a step refused once by a concurrent change of the nodes configuration WHEN recover --yes THEN it is tried again and the recovery goes on', () => {
    // (seen on real servers: `nodes remove` refused while the lost node crash-looped, then accepted)
    const conflict =
      "Error: The system is not in a state required for the operation's execution: expected version 'v25' but found version 'Some(v26)'\n";
    const refusedOnce: Rule = { match: '*restatectl nodes remove *', exit: 1, stderr: conflict, times: 1 };
    const run = recover([refusedOnce, ...lostVolumeCluster()], { yes: true });
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      'failed, trying again: restatectl nodes remove --nodes N3 --yes in pod restate-dev/restate-0 exited 1: Error: The system',
    );
    expect(changes(run).filter((argv) => argv.includes('remove') && argv.includes('nodes'))).toHaveLength(2);
    expect(run.out).toMatch(/recover: restate-2 rejoined under a new node id/);
  });

  test("GIVEN a step that keeps failing WHEN recover --yes --timeout 1 THEN it stops at that step with restatectl's last line, before the next", () => {
    const refused: Rule = {
      match: '*restatectl metadata-server remove-node *',
      exit: 1,
      stderr: 'Error: node N3 is unknown\ncommand terminated with exit code 1\n',
    };
    const run = deployWithStandIn('recover', [refused, ...lostVolumeCluster()], {
      dist,
      provider: 'vultr',
      cleanup: standIns,
      overrides: { node: 'restate-2', yes: true, timeoutSeconds: 1 },
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      "restatectl metadata-server remove-node N3 --yes in pod restate-dev/restate-0 exited 1: Error: node N3 is unknown (tried until the step's bound passed)",
    );
    expect(changes(run).some((argv) => argv.includes('remove') && argv.includes('nodes'))).toBe(false);
  });

  test('GIVEN --node outside the cluster WHEN recover THEN it is invalid input and nothing is read from the cluster', () => {
    const run = recover([{ match: 'config current-context', stdout: 'restate-dev\n' }, ANYTHING_ELSE_SUCCEEDS], {
      node: 'restate-3',
      yes: true,
    });
    expect(run.code).toBe(2);
    expect(run.err).toContain('--node must name a pod of the cluster, restate-0 … restate-2, got "restate-3"');
    expect(run.calls).toHaveLength(1);
  });

  test('GIVEN the recover command line WHEN parsed THEN --node is required and --node/--yes belong to recover only', () => {
    expect(parseDeployArgs(['recover', '-e', 'dev', '-p', 'vultr', '--node', 'restate-2', '--yes'])).toMatchObject({
      command: 'recover',
      node: 'restate-2',
      yes: true,
    });
    expect(() => parseDeployArgs(['recover', '-e', 'dev', '-p', 'vultr'])).toThrow('recover needs --node');
    expect(() => parseDeployArgs(['status', '-e', 'dev', '-p', 'vultr', '--yes'])).toThrow('--yes only applies to recover');
  });
});

describe('deploy status and a lost volume', () => {
  test('GIVEN restate-2 crash-looping with the data-loss line WHEN status THEN it names the pod, says what to run, and exits 1', () => {
    const rules: Rule[] = [
      { match: 'config current-context', stdout: 'restate-dev\n' },
      { match: '*get restatecluster/restate-dev -o jsonpath=*', stdout: 'Ready\tFalse\tNotReady\t2/3 pods ready\n' },
      { match: '*get pods -o wide', stdout: 'restate-2   0/1     CrashLoopBackOff   6\n' },
      { match: '*get pods -l *', stdout: CRASH_LOOPING_2 },
      { match: '*logs restate-2 --previous*', stdout: DATA_LOSS },
      { match: '*restatectl status*', stdout: 'Logs: 128 partitions\n' },
    ];
    const run = deployWithStandIn('status', rules, { dist, provider: 'vultr', cleanup: standIns });
    expect(run.code).toBe(1);
    expect(run.out).toContain('== restate-2 lost its volume: its last start logged "Detected data loss for log-server …"');
    expect(run.out).toContain('mise run recover --environment dev --provider vultr --node restate-2');
    expect(run.out).toMatch(/== summary: not Ready, provisioned, restate-2 lost its volume$/m);
    // only the restarted pod's log is read
    expect(run.calls.filter((argv) => argv.includes('logs'))).toEqual([[...CTX, ...NS, 'logs', 'restate-2', '--previous', '--tail=200']]);
  });

  test('GIVEN a pod that restarted for another reason WHEN status THEN no recovery is suggested', () => {
    const rules: Rule[] = [
      { match: 'config current-context', stdout: 'restate-dev\n' },
      { match: '*get restatecluster/restate-dev -o jsonpath=*', stdout: 'Ready\tTrue\tReady\tAll pods ready\n' },
      { match: '*get pods -o wide', stdout: 'restate-1   1/1     Running   1\n' },
      { match: '*get pods -l *', stdout: 'restate-0\tTrue\t\t0\nrestate-1\tTrue\t\t1\nrestate-2\tTrue\t\t0\n' },
      { match: '*logs restate-1 --previous*', stdout: '{"level":"INFO","fields":{"message":"Shutting down"}}\n' },
      { match: '*restatectl status*', stdout: 'Logs: 128 partitions\n' },
    ];
    const run = deployWithStandIn('status', rules, { dist, provider: 'vultr', cleanup: standIns });
    expect(run.code).toBe(0);
    expect(run.out).not.toContain('recover');
  });
});
