import { stringify } from 'yaml';
import { renderRestateConfig, restateServerConfig } from '../../lib/stack/restate-config';
import { loadTargetValues } from '../../lib/values';
import type { ClusterEnvVar, ClusterUnderTest } from '../../lib/verify/cluster-spec';
import { FIXTURE_VALUES } from './values-dir';

/** The server config the product renders for a target of the tests' values (test/fixtures/values). */
export function productConfig(environment = 'dev', provider = 'vultr'): string {
  return renderRestateConfig(restateServerConfig(loadTargetValues(FIXTURE_VALUES, environment, provider).values));
}

/** A cluster under test as verify reads it from a synthesized target, built from the given config. */
export function clusterWith(config: string, overrides: { replicas?: number; env?: ClusterEnvVar[]; name?: string } = {}): ClusterUnderTest {
  const name = overrides.name ?? 'restate-dev';
  return {
    file: '(test)',
    name,
    clusterName: name,
    image: 'restatedev/restate:1.4',
    replicas: overrides.replicas ?? 3,
    config,
    env: overrides.env ?? [],
  };
}

/** A RestateCluster manifest as the synth writes it to 0001-cluster.k8s.yaml (only the fields verify reads). */
export function clusterManifest(config: string, replicas = 3, name = 'restate-dev'): string {
  return stringify({
    apiVersion: 'restate.dev/v1',
    kind: 'RestateCluster',
    metadata: { name },
    spec: { compute: { image: 'restatedev/restate:1.4', replicas }, storage: { storageRequestBytes: 42949672960 }, config },
  });
}
