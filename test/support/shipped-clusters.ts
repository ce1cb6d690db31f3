/**
 * The RestateCluster of every target shipped in dist/ (`dist/<environment>/<provider>/0001-cluster.k8s.yaml`), with
 * the operator version its operator file deploys (read as verify reads it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RestateClusterObject } from '../../lib/operator-part/manifest';
import { CLUSTER_FILE } from '../../lib/target-folder/files';
import { parseManifest, restateClusters } from '../../lib/target-folder/restate-cluster';
import type { OperatorVersion } from '../../lib/values';
import { readClusterUnderTest } from '../../lib/verify/cluster-spec';

export const SHIPPED_DIST = resolve(__dirname, '..', '..', 'dist');

export interface ShippedCluster {
  /** `<environment>/<provider>` */
  readonly target: string;
  readonly cluster: RestateClusterObject;
  readonly version: OperatorVersion;
}

export function shippedClusters(dist = SHIPPED_DIST): ShippedCluster[] {
  const found: ShippedCluster[] = [];
  for (const environment of readdirSync(dist).sort()) {
    if (!existsSync(join(dist, environment)) || environment.startsWith('.')) continue;
    for (const provider of readdirSync(join(dist, environment)).sort()) {
      const file = join(dist, environment, provider, CLUSTER_FILE);
      if (!existsSync(file)) continue;
      const [cluster] = restateClusters(parseManifest(readFileSync(file, 'utf8')).objects, 'restate.dev/v1');
      const { operatorVersion } = readClusterUnderTest(dist, { environment, provider });
      found.push({ target: `${environment}/${provider}`, cluster: cluster as RestateClusterObject, version: operatorVersion ?? '1.7.4' });
    }
  }
  return found;
}
