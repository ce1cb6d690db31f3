import { Chart, Size, Testing } from 'cdk8s';
import { RestateCluster } from '../../lib/stack/cluster';
import { sizeOfBytes } from '../../lib/stack/units';

function synthCluster(props: Partial<ConstructorParameters<typeof RestateCluster>[2]> = {}) {
  const chart = Testing.chart();
  new RestateCluster(chart, 'Cluster', {
    name: 'restate-dev',
    image: 'restatedev/restate:1.4',
    storageRequest: Size.gibibytes(40),
    config: 'roles = ["worker"]\n',
    ...props,
  });
  return Testing.synth(chart);
}

describe('RestateCluster', () => {
  test('is cluster-scoped: it carries no namespace even inside a namespaced chart', () => {
    // GIVEN a chart with a namespace WHEN a cluster is added
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'somewhere' });
    new RestateCluster(chart, 'Cluster', { name: 'x', image: 'i:1', storageRequest: sizeOfBytes(1), config: '' });
    const [manifest] = Testing.synth(chart);
    // THEN
    expect(manifest.metadata).not.toHaveProperty('namespace');
  });

  test('writes the volume size as an integer byte count and the image, replicas and config verbatim', () => {
    // WHEN
    const [manifest] = synthCluster({ replicas: 5, storageClassName: 'gp3' });
    // THEN
    expect(manifest.spec).toEqual({
      compute: { image: 'restatedev/restate:1.4', replicas: 5 },
      storage: { storageRequestBytes: 42949672960, storageClassName: 'gp3' },
      config: 'roles = ["worker"]\n',
    });
  });

  test('defaults to 3 replicas and the cluster default StorageClass', () => {
    const [manifest] = synthCluster();
    expect(manifest.spec.compute.replicas).toBe(3);
    expect(manifest.spec.storage).toEqual({ storageRequestBytes: 42949672960 });
  });

  test('is protected from Argo CD pruning and deletion, applied server-side, after the operator', () => {
    const [manifest] = synthCluster();
    expect(manifest.metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-wave': '0',
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false,ServerSideApply=true,SkipDryRunOnMissingResource=true',
    });
  });

  test('admits extra fabric peers on 5122 only when given', () => {
    const peer = { podSelector: { matchLabels: { app: 'x' } } };
    expect(synthCluster()[0].spec.security).toBeUndefined();
    expect(synthCluster({ fabricPeers: [peer] })[0].spec.security).toEqual({ networkPeers: { metrics: [peer] } });
  });
});
