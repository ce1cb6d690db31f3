import { conditionsArgs, podsArgs } from './kubectl';
import { restatectlStatusArgs } from './provision';
import { indent, type Session } from './session';
import { Upstream } from './waits';

export interface StatusResult {
  /** The RestateCluster has `Ready=True`. */
  readonly ready: boolean;
  /** `restatectl status` exited 0: the cluster is provisioned and answers. */
  readonly provisioned: boolean;
}

/** The RestateCluster's conditions, its pods, and `restatectl status`, in one view. Reads only. */
export function status(session: Session, clusterName: string): StatusResult {
  const { report, context } = session;

  report.info(`== RestateCluster ${clusterName}: conditions`);
  const conditions = session.run(conditionsArgs(context, `restatecluster/${clusterName}`));
  let ready = false;
  if (conditions.code !== 0) {
    report.info(indent(`(could not read: ${conditions.stderr.trim()})`));
  } else if (conditions.stdout.trim() === '') {
    report.info(indent('(no conditions reported yet)'));
  } else {
    const rows = conditions.stdout.trim().split('\n').map((line) => line.split('\t'));
    ready = rows.some(([type, state]) => type === 'Ready' && state === 'True');
    report.info(indent(formatTable([['TYPE', 'STATUS', 'REASON', 'MESSAGE'], ...rows])));
  }

  report.info(`== pods in namespace ${clusterName}`);
  const pods = session.run(podsArgs(context, clusterName));
  report.info(indent(pods.code === 0 ? pods.stdout.trim() || '(none)' : `(could not read: ${pods.stderr.trim()})`));

  report.info(`== restatectl status (${clusterName}/${Upstream.FIRST_POD})`);
  const restatectl = session.run(restatectlStatusArgs(context, clusterName));
  const said = `${restatectl.stdout}${restatectl.stderr}`.trim();
  report.info(indent(said || '(no output)'));
  const provisioned = restatectl.code === 0;
  if (!provisioned) report.info(indent(`(exit ${restatectl.code}: not provisioned, or restate-0 does not answer)`));

  report.info(`== summary: ${ready ? 'Ready' : 'not Ready'}, ${provisioned ? 'provisioned' : 'not provisioned (or not answering)'}`);
  return { ready, provisioned };
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
