import { DATA_LOSS_LOG, nodeIdOf, recoverSteps } from '../../../lib/stack/day-two/recover-steps';

describe('the volume-loss recovery as data', () => {
  const steps = recoverSteps({ name: 'restate-2', id: 'N3' });

  test('GIVEN a lost node WHEN its steps are asked for THEN they are the measured order: storage disabled (forced), metadata removal, node removal, restart empty', () => {
    expect(steps.map((step) => (step.kind === 'restatectl' ? step.argv.join(' ') : `restart ${step.nodeName}`))).toEqual([
      'nodes set-storage-state --nodes N3 --storage-state disabled --force --yes',
      'metadata-server remove-node N3 --yes',
      'nodes remove --nodes N3 --yes',
      'restart restate-2',
    ]);
    expect(steps.every((step) => step.waitFor !== undefined && step.waitFor.timeoutSeconds > 0)).toBe(true);
  });

  test('GIVEN the rows restatectl sql answers WHEN each wait judges them THEN only the awaited state satisfies it', () => {
    const [disable, metadata, remove, restart] = steps.map((step) => step.waitFor!);
    expect(disable!.satisfied([{ plain_node_id: 'N3', storage_state: 'read-write' }])).toBe(false);
    expect(disable!.satisfied([{ plain_node_id: 'N3', storage_state: 'disabled' }])).toBe(true);
    expect(disable!.satisfied([{ plain_node_id: 'N3', storage_state: 'Disabled' }])).toBe(true);
    expect(metadata!.satisfied([{ plain_node_id: 'N3', metadata_server_state: 'member' }])).toBe(false);
    expect(metadata!.satisfied([{ plain_node_id: 'N3', metadata_server_state: 'standby' }])).toBe(true);
    expect(remove!.satisfied([{ plain_node_id: 'N3' }])).toBe(false);
    expect(remove!.satisfied([])).toBe(true);
    expect(restart!.satisfied([{ plain_node_id: 'N3', name: 'restate-2' }])).toBe(false);
    expect(restart!.satisfied([{ plain_node_id: 'N4', name: 'restate-2' }])).toBe(true);
  });

  test('GIVEN node ids as restatectl prints them WHEN read THEN N3 and 3 are both N3; garbage is none', () => {
    expect([nodeIdOf({ plain_node_id: 'N3' }), nodeIdOf({ plain_node_id: 3 }), nodeIdOf({ plain_node_id: 'x' }), nodeIdOf({})]).toEqual([
      'N3',
      'N3',
      undefined,
      undefined,
    ]);
    expect(() => recoverSteps({ name: 'restate-2', id: '3; drop' })).toThrow('a plain node id such as N3 is needed');
  });

  test('GIVEN the log line of a node that came back empty WHEN matched THEN it is recognised, other errors are not', () => {
    expect(DATA_LOSS_LOG.test('Detected data loss for log-server N3 … Rejecting the join attempt')).toBe(true);
    expect(DATA_LOSS_LOG.test('log-server storage marker was found but it was created by another node')).toBe(false);
  });

  test('GIVEN the log of a 1.7.12 node restarted on an empty volume (verify volume-loss) WHEN matched THEN it is recognised', () => {
    const log = [
      '{"timestamp":"2026-12-01T15:14:28.901Z","level":"WARN","fields":{"message":"Detected data loss for log-server of my node N3. ' +
        'The log-server marker is missing, storage-state was read-write, will transition into `data-loss`"},"target":"restate_node"}',
      '{"timestamp":"2026-12-01T15:14:28.950Z","level":"ERROR","fields":{"message":"Shutting down: task 7 failed with: ' +
        'Node cannot start a log-server on N3, ' +
        'it has detected that it has lost its data. storage-state is `data-loss`"},"target":"restate_core::task_center"}',
      '{"timestamp":"2026-12-01T15:14:28.963Z","level":"ERROR","fields":{"message":"Restate terminated with exit code 1!"},"target":"restate_server"}',
    ].join('\n');
    expect(DATA_LOSS_LOG.test(log)).toBe(true);
  });
});
