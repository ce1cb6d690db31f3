import { Duration, Testing } from 'cdk8s';
import * as monitoring from '../../imports/monitoring.coreos.com';
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
    expect(monitor.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'restate',
      'app.kubernetes.io/instance': 'restate-prod',
    });
  });

  test('scrapes the fabric port by its container port name', () => {
    expect(manifests[0].spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  });

  test('writes its interval prop as the Prometheus Operator duration, schema-valid', () => {
    // GIVEN an interval of a minute and a half
    const other = Testing.chart();
    new RestatePodMonitor(other, 'M', { clusterName: 'restate-prod', namespace: 'monitoring', interval: Duration.seconds(90) });
    // WHEN synthesized
    const [monitor] = Testing.synth(other);
    // THEN
    expect(monitor.spec.podMetricsEndpoints[0].interval).toBe('1m30s');
    expect(validateManifests([monitor])).toEqual([]);
  });

  test('is typed from the upstream CRD: a misspelled field does not compile', () => {
    // GIVEN a PodMonitor spec with "podMetricEndpoints" for "podMetricsEndpoints"
    const other = Testing.chart();
    new monitoring.PodMonitor(other, 'Typo', {
      metadata: { name: 'x' },
      spec: {
        selector: {},
        // THEN `npm run typecheck` fails unless this line is an error (the directive itself errors when it is not)
        // @ts-expect-error podMetricEndpoints is not a field of PodMonitorSpec
        podMetricEndpoints: [{ port: 'metrics' }],
      },
    });
    // AND forced through, the generated class writes only the fields the CRD knows
    expect(Testing.synth(other)[0].spec).toEqual({ selector: {} });
  });
});
