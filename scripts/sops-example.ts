/**
 * Writes the worked SOPS example, values/secrets/kind-minio.sops.yaml: MinIO credentials for the local kind
 * provider, encrypted to a throwaway age key made here and thrown away at once. Nobody can decrypt the file;
 * it shows the shape that `sops --encrypt` produces and that synth passes through byte for byte.
 *
 * Usage: npx tsx scripts/sops-example.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptSecret, throwawayAgeKey } from '../test/support/sops';

async function main(): Promise<void> {
  const { recipient } = await throwawayAgeKey();
  const text = await encryptSecret(
    {
      name: 'restate-object-storage',
      namespace: 'restate-dev',
      // Synced after the RestateCluster, once the operator created the namespace; retried until then.
      annotations: { 'argocd.argoproj.io/sync-wave': '1' },
      stringData: { AWS_ACCESS_KEY_ID: 'minio-example-user', AWS_SECRET_ACCESS_KEY: 'minio-example-password' },
    },
    recipient,
  );
  const file = join(__dirname, '..', 'values', 'secrets', 'kind-minio.sops.yaml');
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file} for ${recipient}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
