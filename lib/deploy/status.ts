import type { StackValues } from '../values';
import {
  consequence,
  type CredentialsSecret,
  credentialsSecret,
  createSecretHint,
  readSecret,
  secretLabel,
  sopsApplyHint,
} from './credentials';
import { conditionsArgs, podsArgs } from './kubectl';
import { restatectlStatusArgs } from './provision';
import { indent, type Session } from './session';
import { shellLine } from './shell';
import { Upstream } from './waits';
import { DATA_LOSS_LOG } from '../stack/day-two/recover-steps';
import { clusterPodsArgs, parseClusterPods, previousLogArgs, recoverHint } from './recover';
import { checkLocations, parseNodesList, parsePodZones, podZonesArgs } from './locations';
import { execArgs } from './kubectl';
import { IN_POD_ADDRESS } from './provision';
import { clusterPodLabels } from '../target-folder/operator-names';
import { DeployError } from './errors';
import { isUnreachable, unreachableHint } from './unreachable';

export interface StatusResult {
  /** The RestateCluster has `Ready=True`. */
  readonly ready: boolean;
  /** `restatectl status` exited 0: the cluster is provisioned and answers. */
  readonly provisioned: boolean;
  /**
   * The object storage credentials Secret the pods need is there with its keys; true when the pods need none
   * (no credentials, workload identity, or nothing reads them yet).
   */
  readonly credentials: boolean;
  /** Pods whose previous container exited with Restate's data-loss line (a lost volume); `deploy recover` is for them. */
  readonly dataLoss: readonly string[];
  /** Every node reports the location `<region>.<zone of its pod>` (`locations`); true without `locations`. */
  readonly locations: boolean;
}

export interface StatusOptions {
  /** The values' SOPS file (credentials.source sops), named in the hint for a missing Secret. @default - none */
  readonly sopsFile?: string;
}

/**
 * The RestateCluster's conditions, its pods, its object storage credentials Secret, and `restatectl status`,
 * in one view. Reads only; never reads a Secret's values. A cluster that does not answer the first read is a
 * DeployError (exit 1) that says so, not a status.
 */
export function status(session: Session, values: StackValues, options: StatusOptions = {}): StatusResult {
  const { report, context } = session;
  const { clusterName } = values;

  report.info(`== RestateCluster ${clusterName}: conditions`);
  const conditions = session.run(conditionsArgs(context, `restatecluster/${clusterName}`));
  let ready = false;
  if (conditions.code !== 0) {
    report.info(indent(`(could not read: ${conditions.stderr.trim()})`));
    // Every further read would fail alike (each after its own timeout), and "not Ready, not provisioned" would be untrue.
    if (isUnreachable(conditions.stderr)) throw new DeployError(unreachableHint(context, 'nothing was checked', 'status'));
  } else if (conditions.stdout.trim() === '') {
    report.info(indent('(no conditions reported yet)'));
  } else {
    const rows = conditions.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    ready = rows.some(([type, state]) => type === 'Ready' && state === 'True');
    report.info(indent(formatTable([['TYPE', 'STATUS', 'REASON', 'MESSAGE'], ...rows])));
  }

  report.info(`== pods in namespace ${clusterName}`);
  const pods = session.run(podsArgs(context, clusterName));
  report.info(indent(pods.code === 0 ? pods.stdout.trim() || '(none)' : `(could not read: ${pods.stderr.trim()})`));

  const secret = credentialsSecret(values);
  const credentials = secret ? credentialsStatus(session, secret, values, options) : undefined;
  if (!secret && values.objectStorage?.credentials?.source === 'workload-identity') {
    report.info("== object storage credentials: workload identity (the pods' service account), no Secret");
  }

  report.info(`== restatectl status (${clusterName}/${Upstream.FIRST_POD})`);
  const restatectl = session.run(restatectlStatusArgs(context, clusterName));
  const said = `${restatectl.stdout}${restatectl.stderr}`.trim();
  report.info(indent(said || '(no output)'));
  const provisioned = restatectl.code === 0;
  if (!provisioned) report.info(indent(`(exit ${restatectl.code}: not provisioned, or restate-0 does not answer)`));
  const dataLoss = lostVolumes(session, values);
  const located = values.locations ? locationsStatus(session, values, values.locations) : true;

  const parts = [ready ? 'Ready' : 'not Ready', provisioned ? 'provisioned' : 'not provisioned (or not answering)'];
  if (credentials) parts.push(credentials.summary);
  if (dataLoss.length > 0) parts.push(`${dataLoss.join(', ')} lost ${dataLoss.length === 1 ? 'its volume' : 'their volumes'}`);
  if (values.locations) parts.push(located ? 'every node in its zone' : 'nodes without their zone');
  report.info(`== summary: ${parts.join(', ')}`);
  return { ready, provisioned, credentials: credentials?.ok ?? true, dataLoss, locations: located };
}

/**
 * Whether every node reports the location it should (`restatectl nodes list --extra`, column LOCATION, against each
 * pod's zone label). A pod without the label silently gets `<region>.` as location: say what Kubernetes needs.
 */
function locationsStatus(session: Session, values: StackValues, locations: NonNullable<StackValues['locations']>): boolean {
  const { report, context } = session;
  const { clusterName } = values;
  report.info(`== node locations (${locations.region}, zones ${locations.zones.join(', ')})`);
  const selector = Object.entries(clusterPodLabels(clusterName))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const pods = session.run(podZonesArgs(context, clusterName, selector));
  const nodes = session.run(
    execArgs(context, clusterName, Upstream.FIRST_POD, ['restatectl', 'nodes', 'list', '--extra', '--address', IN_POD_ADDRESS]),
  );
  if (pods.code !== 0 || nodes.code !== 0) {
    report.info(indent(`(could not read: ${(pods.code !== 0 ? pods.stderr : `${nodes.stdout}${nodes.stderr}`).trim()})`));
    return false;
  }
  const check = checkLocations(parseNodesList(nodes.stdout), parsePodZones(pods.stdout), locations);
  report.info(indent(check.ok ? 'every node reports <region>.<zone of its pod>' : check.lines.join('\n')));
  return check.ok;
}

/**
 * The cluster's pods that restarted, whose previous container logged Restate's data-loss refusal ("Detected
 * data loss for log-server of my node …", as restate-server 1.7.12 writes it: the node came back empty under its old name, exits 1,
 * and crash-loops). Each is reported with the command that recovers it.
 */
function lostVolumes(session: Session, values: StackValues): string[] {
  const { report, context } = session;
  const listed = session.run(clusterPodsArgs(context, values.clusterName));
  if (listed.code !== 0) return [];
  const lost: string[] = [];
  for (const pod of parseClusterPods(listed.stdout).filter((p) => p.restarts > 0 || p.waitingReason === 'CrashLoopBackOff')) {
    const log = session.run(previousLogArgs(context, values.clusterName, pod.name));
    if (log.code !== 0 || !DATA_LOSS_LOG.test(log.stdout)) continue;
    lost.push(pod.name);
    report.info(
      `== ${pod.name} lost its volume: its last start logged "Detected data loss for log-server …", so the cluster ` +
        `refuses it and it crash-loops while the others serve. Recover it (retires its old node id, restarts it empty): ${recoverHint(values, pod.name)}`,
    );
  }
  return lost;
}

/** Shows whether the credentials Secret exists with its keys; a missing one says what it breaks and how to fix it. */
function credentialsStatus(
  session: Session,
  secret: CredentialsSecret,
  values: StackValues,
  options: StatusOptions,
): { ok: boolean; summary: string } {
  const { report, context } = session;
  const label = secretLabel(secret);
  report.info(`== object storage credentials (${secret.source}): ${label}`);
  const found = readSecret(session, secret);
  if (found.state === 'unreadable') {
    report.info(indent(`(could not read: ${found.message})`));
    return { ok: !secret.requiredByPods, summary: 'credentials Secret unreadable' };
  }
  if (found.state === 'present' && found.missingKeys.length === 0) {
    report.info(indent(`present, with the keys ${secret.keys.join(', ')}`));
    return { ok: true, summary: 'credentials Secret present' };
  }
  const promote = `mise run deploy:promote --environment ${values.environment} --provider ${values.provider}`;
  const create =
    secret.source === 'sops'
      ? `${promote} (decrypts and applies it), or by hand: ${sopsApplyHint(context, options.sopsFile ?? '<objectStorage.credentials.sopsFile>')}`
      : createSecretHint(context, secret);
  if (found.state === 'missing') {
    report.info(indent(`${label} is missing: ${consequence(secret)}. Create it: ${create}`));
    return { ok: !secret.requiredByPods, summary: 'credentials Secret missing' };
  }
  report.info(
    indent(
      `${label} lacks the key(s) ${found.missingKeys.join(', ')} (it has: ${found.keys.join(', ') || 'no non-empty keys'}): ${consequence(secret)}. ` +
        (secret.source === 'sops'
          ? `Re-apply it: ${create}`
          : `Add the key(s): \`kubectl ${shellLine(['--context', context, '-n', secret.namespace, 'edit', 'secret', secret.name])}\``),
    ),
  );
  return { ok: !secret.requiredByPods, summary: 'credentials Secret incomplete' };
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
