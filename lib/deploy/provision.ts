import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../stack/provisioning/script';
import { DeployError } from './errors';
import { execArgs } from './kubectl';
import { CALL_TIMEOUT_MARGIN_SECONDS } from './process';
import { indent, type Session } from './session';
import { Upstream } from './waits';

/** Inside the pod the node's fabric port is on loopback, which no NetworkPolicy filters. */
export const IN_POD_ADDRESS = 'http://127.0.0.1:5122';

/**
 * `kubectl exec -i restate-0 -- sh -s -- ARGS`: runs the repository's provisioning script (fed on standard
 * input) in the first pod, with the `restatectl` of the cluster's own image.
 */
export function provisionExecArgs(
  context: string,
  clusterName: string,
  deadlineSeconds: number,
  replicas?: number,
  replication?: number | string,
): string[] {
  const script = provisionScriptArgs({
    address: IN_POD_ADDRESS,
    deadlineSeconds,
    replicas,
    ...(replication !== undefined ? { ensureReplication: replication } : {}),
  });
  return execArgs(context, clusterName, Upstream.FIRST_POD, ['sh', '-s', '--', ...script], { stdin: true });
}

/** `restatectl status` in the first pod: exits 0 only on a provisioned cluster. */
export function restatectlStatusArgs(context: string, clusterName: string): string[] {
  return execArgs(context, clusterName, Upstream.FIRST_POD, ['restatectl', 'status', '--address', IN_POD_ADDRESS]);
}

/**
 * Provisions the cluster through `restate-0` and shows `restatectl status`. A first provisioning succeeds only
 * once pods restate-0..replicas-1 are metadata members and every partition has a leader; the script reports an
 * already provisioned cluster at once and exits 0. With `replication`, it then makes the cluster's log and
 * partition replication that one when it differs (`restatectl config set`; a no-op otherwise). Throws with the script's own reason when it does not succeed.
 */
export function provisionInPod(
  session: Session,
  clusterName: string,
  deadlineSeconds: number,
  replicas?: number,
  replication?: number | string,
): void {
  const where = `${clusterName}/${Upstream.FIRST_POD}`;
  session.report.info(`==> provisioning through pod ${where} (deadline ${deadlineSeconds}s)`);
  const result = session.run(provisionExecArgs(session.context, clusterName, deadlineSeconds, replicas, replication), {
    stdinFile: PROVISION_SCRIPT_PATH,
    timeoutSeconds: deadlineSeconds + CALL_TIMEOUT_MARGIN_SECONDS,
  });
  const said = `${result.stdout}${result.stderr}`.trim();
  if (said) session.report.info(indent(said));
  if (result.code !== 0) {
    throw new DeployError(
      `provisioning through pod ${where} failed (exit ${result.code}): ${lastLine(said) || 'no output'}\n` +
        `  Check that every pod is Running (\`kubectl -n ${clusterName} get pods\`) and that the nodes reach each other on 5122 ` +
        `(\`kubectl -n ${clusterName} logs ${Upstream.FIRST_POD}\`), then run \`mise run provision\` again: it is safe to repeat.`,
    );
  }

  session.report.info(`==> restatectl status (${where})`);
  const status = session.run(restatectlStatusArgs(session.context, clusterName));
  const shown = `${status.stdout}${status.stderr}`.trim();
  if (shown) session.report.info(indent(shown));
  if (status.code !== 0) {
    throw new DeployError(`restatectl status in pod ${where} exited ${status.code} after provisioning: ${lastLine(shown) || 'no output'}`);
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

/**
 * `kubectl exec -i restate-0 -- sh -s -- … --wait-serving`: the provisioning script as the gate after a rollout.
 * Operator 1.7.4's readiness probe is `/health` with no initial delay, so `Ready` (and a finished StatefulSet
 * rollout) can come while partitions still have no leader: this waits until every pod is a metadata member and
 * every partition has an active leader on a live node.
 */
export function servingExecArgs(context: string, clusterName: string, deadlineSeconds: number, replicas?: number): string[] {
  const script = provisionScriptArgs({ address: IN_POD_ADDRESS, deadlineSeconds, replicas, waitServing: true });
  return execArgs(context, clusterName, Upstream.FIRST_POD, ['sh', '-s', '--', ...script], { stdin: true });
}

/** Waits (through `restate-0`) until the cluster serves: every pod a metadata member, every partition led. */
export function waitServingInPod(session: Session, clusterName: string, deadlineSeconds: number, replicas?: number): void {
  session.report.info(
    `==> waiting until every partition of ${clusterName} has an active leader (through pod ${clusterName}/${Upstream.FIRST_POD}, deadline ${deadlineSeconds}s)`,
  );
  const result = session.run(servingExecArgs(session.context, clusterName, deadlineSeconds, replicas), {
    stdinFile: PROVISION_SCRIPT_PATH,
    timeoutSeconds: deadlineSeconds + CALL_TIMEOUT_MARGIN_SECONDS,
  });
  const said = `${result.stdout}${result.stderr}`.trim();
  if (said) session.report.info(indent(said));
  if (result.code !== 0) {
    throw new DeployError(
      `the cluster did not serve within ${deadlineSeconds}s after the rollout (exit ${result.code}): ${lastLine(said) || 'no output'}\n` +
        '  likely cause: partitions without a leader after pods restarted (operator 1.7.4 rolls on /health alone); ' +
        `see \`kubectl -n ${clusterName} exec ${Upstream.FIRST_POD} -- restatectl partitions list\`.`,
    );
  }
}
