import { join } from 'node:path';
import { runInSandbox } from '../../lib/verify/sandbox';
import { clusterHostsFile } from '../../lib/verify/hosts';
import type { ModelScenarioInput, ModelScenarioRecord } from '../support/model-scenario';
import { clusterWith } from '../support/restate-fixtures';

// nftables inside a loopback-only network namespace: the rules are the kernel's, the pods are processes with
// their own uids. No Restate server is needed for these checks; verify's live run repeats them on real nodes.
describe('the NetworkPolicy rules and Service restate of the verify model', () => {
  let record: ModelScenarioRecord;

  beforeAll(async () => {
    // GIVEN a cluster that admits namespace shop (label app=web) to its ingress and Prometheus to 5122
    const cluster = {
      ...clusterWith('default-num-partitions = 8\n'),
      security: {
        networkPeers: {
          ingress: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } },
          ],
          metrics: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
            },
          ],
        },
      },
    };
    // WHEN its model runs in the sandbox
    const outcome = await runInSandbox<ModelScenarioInput, ModelScenarioRecord>({
      entry: join(__dirname, '..', 'support', 'model-scenario.ts'),
      input: { cluster },
      hosts: clusterHostsFile(cluster.replicas, cluster.name),
      deadlineMs: 60_000,
      output: 'capture',
    });
    if (!outcome.result.ok) throw new Error(`${outcome.result.error}\n${outcome.log}`);
    record = outcome.result.value;
  }, 90_000);

  test('the admitted application reaches the ingress only, an unlisted one reaches nothing', () => {
    // THEN the kernel lets through exactly what the operator's policies allow
    expect(record.connections).toEqual({
      'admitted-client -> restate-0:8080': true,
      'admitted-client -> restate-0:9070': false,
      'admitted-client -> restate-0:5122': false,
      'unlisted-client -> restate-0:8080': false,
      'unlisted-client -> restate-0:9070': false,
      'unlisted-client -> restate-0:5122': false,
      'prometheus -> restate-0:8080': false,
      'prometheus -> restate-0:9070': false,
      'prometheus -> restate-0:5122': true,
      'restate-operator -> restate-0:8080': false,
      'restate-operator -> restate-0:9070': true,
      'restate-operator -> restate-0:5122': false,
    });
  });

  test('Service restate routes to Ready pods only: not to one failing /health, not to a stopped one', () => {
    // THEN with all ready every answer comes from some node; then never from restate-1; then only restate-0
    expect(new Set(record.viaService.allReady)).toEqual(new Set(['restate-0', 'restate-1', 'restate-2']));
    expect(new Set(record.viaService.node1Unhealthy)).toEqual(new Set(['restate-0', 'restate-2']));
    expect(new Set(record.viaService.node2Stopped)).toEqual(new Set(['restate-0']));
  });
});
