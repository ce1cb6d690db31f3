/**
 * The live check on the control plane (`verify --on control-plane`): the steps of ./control-plane-session.ts in the
 * model's order, as far as this base has them. Not on this base yet (the model's live check, ./live.ts, runs them):
 * the NetworkPolicy checks (the podlet enforces no policies), the memory limits, the snapshot store, the real
 * Prometheus and its alert, and node locations. Runs in the verify process itself: everything it starts is inside the control plane's own
 * network namespace, and stopped by PID on every way out.
 */
import { ControlPlaneSession, type ControlPlaneCheckInput } from './control-plane-session';
import type { LiveResult } from './live';
import { StepFailed } from './live-session';

/** The model's checks this base does not run yet, for the report and docs/verify.md. */
export const NOT_ON_CONTROL_PLANE = ['NetworkPolicies', 'memory limits', 'snapshots', 'Prometheus and its alert', 'locations'] as const;

export async function runControlPlaneCheck(input: ControlPlaneCheckInput): Promise<LiveResult> {
  const session = new ControlPlaneSession(input);
  try {
    await session.standUp();
    await session.checkLayout();
    await session.clusterReady();
    await session.provisionAgain();
    await session.failover();
    await session.registerService();
    await session.counterAndSleep();
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    await session.close();
  }
  const operator = input.operatorBin ? `the operator binary ${input.operatorBin.path}` : 'lib/operator-part';
  return {
    ok: session.steps.every((s) => s.ok),
    steps: session.steps,
    ...session.record,
    base: `the control plane (real kube-apiserver, controllers and scheduler; ${operator}; the podlet runs the pods); not run on it yet: ${NOT_ON_CONTROL_PLANE.join(', ')}`,
  };
}
