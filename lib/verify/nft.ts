import { spawnSync } from 'node:child_process';
import { VerifyError } from './errors';

/** Applies an nftables script atomically (`nft -f -`) in this network namespace. */
export function nftApply(script: string): void {
  const run = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8', timeout: 10_000 });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new VerifyError(
      missing
        ? 'nft is not installed: verify enforces the NetworkPolicies with nftables (Debian: apt-get install -y nftables)'
        : `nft failed: ${run.error.message}`,
    );
  }
  if (run.status !== 0) throw new VerifyError(`nft -f rejected the rules: ${run.stderr.trim()}\n${script}`);
}

/** Whether `nft` can load a table in this network namespace (it needs CAP_NET_ADMIN there and nf_tables). */
export function nftAvailable(): string | undefined {
  const run = spawnSync('nft', ['-f', '-'], {
    input: 'table inet verify_probe {}\ndelete table inet verify_probe\n',
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (run.error)
    return (run.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'nft is not installed (Debian: apt-get install -y nftables)'
      : run.error.message;
  return run.status === 0 ? undefined : run.stderr.trim();
}
