import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private folder with a kubeconfig whose only context points at a closed loopback port: the real kubectl
 * client parses and validates a command fully and then fails at connecting, so a malformed command is told
 * apart from a well-formed one without an API server. `env` runs kubectl with that kubeconfig only.
 */
export function closedKubeconfig(context: string): { readonly dir: string; readonly env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'restate-stack-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: closed, cluster: { server: "https://127.0.0.1:9" } }]',
      'users: [{ name: nobody, user: { token: unused } }]',
      `contexts: [{ name: ${context}, context: { cluster: closed, user: nobody } }]`,
      `current-context: ${context}`,
    ].join('\n'),
  );
  return { dir, env: { PATH: '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig } };
}
