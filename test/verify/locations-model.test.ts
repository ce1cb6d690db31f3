import { operatorPodEnv } from '../../lib/verify/operator-env';
import { clusterWith } from '../support/restate-fixtures';

const located = (operatorVersion: '1.7.4' | '2.8.1') => ({
  ...clusterWith(''),
  operatorVersion,
  env:
    operatorVersion === '1.7.4'
      ? [
          { name: 'POD_ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } },
          { name: 'RESTATE_LOCATION', value: 'eu-central-1.$(POD_ZONE)' },
        ]
      : [{ name: 'RESTATE_LOCATION', value: 'eu-central-1.$(POD_ZONE)' }],
});

describe("the model's pods and their zones", () => {
  test.each(['1.7.4', '2.8.1'] as const)(
    'with locations under %s, 5 pods land over three zones 2, 2, 1 and each gets <region>.<zone>',
    (version) => {
      const locations = [0, 1, 2, 3, 4].map((ordinal) => operatorPodEnv(located(version), ordinal));
      expect(locations.map((pod) => pod.env.RESTATE_LOCATION)).toEqual([
        'eu-central-1.eu-central-1a',
        'eu-central-1.eu-central-1b',
        'eu-central-1.eu-central-1c',
        'eu-central-1.eu-central-1a',
        'eu-central-1.eu-central-1b',
      ]);
      expect(locations.every((pod) => pod.unresolved.length === 0)).toBe(true);
    },
  );

  test('a zone fieldRef on a cluster without locations resolves to "", as the kubelet gives a label the pod lacks', () => {
    const cluster = {
      ...clusterWith(''),
      env: [
        { name: 'POD_ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['topology.kubernetes.io/zone']" } } },
        { name: 'WHERE', value: 'r.$(POD_ZONE)' },
      ],
    };
    expect(operatorPodEnv(cluster, 0).env.WHERE).toBe('r.');
  });
});
