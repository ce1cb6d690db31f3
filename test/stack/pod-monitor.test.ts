import { Testing } from 'cdk8s';
import { RestatePodMonitor } from '../../lib/stack/pod-monitor';
import { validateManifests } from '../support/validate';

describe('RestatePodMonitor', () => {
  // GIVEN / WHEN
  const chart = Testing.chart();
  new RestatePodMonitor(chart, 'M', { clusterName: 'restate-prod', namespace: 'monitoring', labels: { release: 'prometheus' } });
  const manifests = Testing.synth(chart);

  test('matches its snapshot and the Prometheus Operator schema', () => {
    expect(manifests).toMatchSnapshot();
    expect(validateManifests(manifests)).toEqual([]);
  });

  test('lives outside the cluster namespace and selects the cluster pods there', () => {
    const [monitor] = manifests;
    expect(monitor.metadata.namespace).toBe('monitoring');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['restate-prod'] });
    expect(monitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'restate', 'app.kubernetes.io/instance': 'restate-prod' });
  });

  test('scrapes the fabric port by its container port name', () => {
    expect(manifests[0].spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  });
});
