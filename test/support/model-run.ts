/**
 * Runs the verify model's scenario (model-scenario.ts) in the sandbox for a cluster that admits namespace shop
 * (label app=web) to its ingress and Prometheus to 5122, and returns what it recorded. Run as a program, it prints
 * the record as JSON: that is how a test runs it from another checkout (private-checkout.ts).
 */
import { join } from 'node:path';
import { clusterHostsFile } from '../../lib/verify/hosts';
import { runInSandbox } from '../../lib/verify/sandbox';
import type { ModelScenarioInput, ModelScenarioRecord } from './model-scenario';
import { clusterWith } from './restate-fixtures';

export async function runModelScenario(): Promise<ModelScenarioRecord> {
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
  const outcome = await runInSandbox<ModelScenarioInput, ModelScenarioRecord>({
    entry: join(__dirname, 'model-scenario.ts'),
    input: { cluster },
    hosts: clusterHostsFile(cluster.replicas, cluster.name),
    deadlineMs: 60_000,
    output: 'capture',
  });
  if (!outcome.result.ok) throw new Error(`${outcome.result.error}\n${outcome.log}`);
  return outcome.result.value;
}

if (require.main === module) {
  runModelScenario().then(
    (record) => process.stdout.write(`${JSON.stringify(record)}\n`),
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
