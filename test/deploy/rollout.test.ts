import { parseRolloutState, rolloutVerdict } from '../../lib/deploy/rollout';

const target = { clusterName: 'restate-dev', replicas: 3, image: 'restatedev/restate:1.4.4', operatorNamespace: 'restate-operator' };
const sts = (fields: (string | number)[]) => fields.join('\t');

describe('the verdict of promote’s last wait', () => {
  test('a StatefulSet that just appeared (no status fields yet) is not rolled out', () => {
    // GIVEN kubectl's jsonpath output for a StatefulSet without status WHEN judged THEN not done, saying why
    const state = parseRolloutState('', sts([1, '', 3, '', '', '', '', '', 'restatedev/restate:1.4.4']), '');
    expect(state).toMatchObject({ ready: 'Unknown', generation: 1, observedGeneration: 0, readyReplicas: 0, updatedReplicas: 0, pods: [] });
    expect(rolloutVerdict(state, target)).toEqual({
      done: false,
      line: 'StatefulSet generation 1 not observed yet (0); 0/3 updated; 0/3 ready; RestateCluster Ready=Unknown',
    });
  });

  test('Ready True with every replica updated and ready at one revision is done; pods sort by ordinal', () => {
    const pods = 'restate-10\trev-2\tTrue\nrestate-2\trev-2\tTrue\nrestate-1\trev-2\tTrue\n';
    const state = parseRolloutState('True', sts([4, 4, 3, 3, 3, 3, 'rev-2', 'rev-2', 'restatedev/restate:1.4.4']), pods);
    expect(state.pods.map((p) => p.name)).toEqual(['restate-1', 'restate-2', 'restate-10']);
    expect(rolloutVerdict(state, target).done).toBe(true);
  });

  test('a stale Ready True does not count while the pod template still has the old image', () => {
    const state = parseRolloutState('True', sts([4, 4, 3, 3, 3, 3, 'rev-1', 'rev-1', 'restatedev/restate:1.4.3']), '');
    expect(rolloutVerdict(state, target)).toEqual({
      done: false,
      line: 'StatefulSet still has image restatedev/restate:1.4.3, not restatedev/restate:1.4.4',
    });
  });
});
