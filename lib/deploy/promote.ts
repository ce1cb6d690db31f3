import { renderReplication } from '../values';
import { applySopsSecret, checkExistingSecret, secretLabel } from './credentials';
import { DeployError } from './errors';
import { applyArgs, type ApplyOptions, deleteArgs, jobLogsArgs, jobPodsArgs } from './kubectl';
import { promotePlan } from './plan';
import { CALL_TIMEOUT_MARGIN_SECONDS } from './process';
import { provisionInPod, waitServingInPod } from './provision';
import { waitForReadyRollout } from './rollout';
import { indent, type Session } from './session';
import type { Sops } from './sops';
import type { DeployTarget } from './target';

export interface PromoteOptions extends ApplyOptions {
  /** Upper bound of each wait, and the deadline of the provisioning script. */
  readonly timeoutSeconds: number;
}

/** Log lines of a failed provisioning Job shown in the error message. */
const JOB_LOG_LINES = 20;

/** Runs promote's plan step by step; the first step that fails stops it with a DeployError. */
export function promote(session: Session, target: DeployTarget, options: PromoteOptions, sops: Sops): void {
  const { values } = target;
  const plan = promotePlan(target);
  const total = plan.length;
  plan.forEach((action, index) => {
    const n = `[${index + 1}/${total}]`;
    switch (action.kind) {
      case 'apply': {
        session.report.info(`${n} applying ${action.description}: ${action.file}`);
        const result = session.must(`server-side apply of ${action.file}`, applyArgs(session.context, action.file, options));
        if (result.stdout.trim()) session.report.info(indent(result.stdout));
        return;
      }
      case 'wait':
        session.wait(action, options.timeoutSeconds, n);
        return;
      case 'ready':
        waitForReadyRollout(session, action, options.timeoutSeconds, n);
        return;
      case 'delete':
        session.report.info(`${n} removing ${action.description}, if any`);
        session.must(
          `deleting ${action.description}`,
          deleteArgs(session.context, action.namespace, action.object, options.timeoutSeconds),
          {
            timeoutSeconds: options.timeoutSeconds + CALL_TIMEOUT_MARGIN_SECONDS,
          },
        );
        return;
      case 'serving':
        waitServingInPod(session, values.clusterName, options.timeoutSeconds, values.replicas);
        return;
      case 'note':
        session.report.info(`${n} ${action.text}`);
        return;
      case 'provision':
        session.report.info(`${n} provisioning`);
        provisionInPod(
          session,
          values.clusterName,
          options.timeoutSeconds,
          values.replicas,
          renderReplication(values.restate.defaultReplication),
        );
        return;
      case 'credentials':
        if (action.secret.source === 'sops') {
          if (!action.file) throw new DeployError(`objectStorage.credentials.source is sops but ${target.folder} holds no SOPS file`);
          session.report.info(`${n} applying ${secretLabel(action.secret)}, decrypted with sops (never written to disk): ${action.file}`);
          applySopsSecret(session, sops, action.file, action.secret, options);
        } else {
          session.report.info(`${n} checking ${secretLabel(action.secret)} (objectStorage.credentials.source: existing-secret)`);
          checkExistingSecret(session, action.secret);
        }
        return;
      case 'job':
        try {
          session.wait(action.wait, options.timeoutSeconds, n);
        } catch (error) {
          if (!(error instanceof DeployError)) throw error;
          const logs = session.run(jobLogsArgs(session.context, action.namespace, action.job, JOB_LOG_LINES));
          const tail = (logs.code === 0 ? logs.stdout : logs.stderr).trim() || noLogOutput(session, action.namespace, action.job);
          throw new DeployError(`${error.message}\n  last log lines of job/${action.job}:\n${indent(tail)}`);
        }
        return;
    }
  });
  session.report.info(`promoted ${values.environment}/${values.provider}: RestateCluster ${values.clusterName} is Ready`);
}

/**
 * What to show for a Job without log output. A real API server answers `kubectl logs job/NAME` for a Job whose pod
 * never started (Pending: not scheduled, image not pulled) with exit 0 and nothing at all: name the pods and their
 * phase instead, so that the message does not read as a script that printed nothing.
 */
function noLogOutput(session: Session, namespace: string, job: string): string {
  const pods = session.run(jobPodsArgs(session.context, namespace, job));
  const lines = pods.code === 0 ? pods.stdout.trim().split('\n').filter(Boolean) : [];
  if (lines.length === 0) return '(no log output, and no pod of the Job found)';
  const phases = lines.map((line) => line.replace('\t', ' ')).join(', ');
  return (
    `(no log output: ${phases}; a Pending pod has not started, see ` +
    `\`kubectl -n ${namespace} describe pods -l batch.kubernetes.io/job-name=${job}\`)`
  );
}
