/**
 * Starts a control plane, prints its PIDs as one JSON line on stdout, and waits to be stopped or killed: the
 * program the clean-up tests kill, to show that no process of the control plane outlives it.
 * Run as `node --import tsx test/control-plane/hold-control-plane.ts`.
 */
import { startControlPlane } from '../../lib/control-plane/harness';

async function main(): Promise<void> {
  const cp = await startControlPlane();
  process.stdout.write(`${JSON.stringify({ pids: [...cp.pids.values()], namespacePid: cp.namespacePid })}\n`);
  setInterval(() => {}, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
