import {
  DATA_LOSS_LOG,
  type LostNode,
  nodeIdOf,
  nodeIdQuery,
  type RecoverStep,
  type RecoverWait,
  type RestatectlStep,
  recoverSteps,
  type SqlRow,
} from '../stack/day-two/recover-steps';
import { clusterPodLabels, STATEFULSET } from '../target-folder/operator-names';
import type { StackValues } from '../values';
import { DeployError } from './errors';
import { execArgs } from './kubectl';
import { IN_POD_ADDRESS } from './provision';
import { indent, type Session } from './session';
import { shellLine } from './shell';
import { ExitCode } from '../errors/user-error';

/** Asks the user to go on; `no-tty` when there is nobody to ask. */
export type Confirm = (question: string) => boolean | 'no-tty';

export interface RecoverOptions {
  /** The node (= pod) that lost its volume, e.g. `restate-2`. */
  readonly node: string;
  /** Go on without asking (`--yes`). */
  readonly yes: boolean;
  readonly confirm: Confirm;
}

/** Lines of the previous container's log that status and recover read for the data-loss line. */
export const DATA_LOSS_TAIL_LINES = 200;

/** `kubectl logs --previous`: what the crash-looping container said before it exited. */
export function previousLogArgs(context: string, namespace: string, pod: string): string[] {
  return ['--context', context, '-n', namespace, 'logs', pod, '--previous', `--tail=${DATA_LOSS_TAIL_LINES}`];
}

/** Every pod of the cluster with its Ready condition, waiting reason and restart count, one per line. */
export function clusterPodsArgs(context: string, clusterName: string): string[] {
  const selector = Object.entries(clusterPodLabels(clusterName))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  return [
    '--context',
    context,
    '-n',
    clusterName,
    'get',
    'pods',
    '-l',
    selector,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.conditions[?(@.type=="Ready")].status}{"\\t"}' +
      '{.status.containerStatuses[0].state.waiting.reason}{"\\t"}{.status.containerStatuses[0].restartCount}{"\\n"}{end}',
  ];
}

export interface ClusterPod {
  readonly name: string;
  readonly ready: boolean;
  readonly waitingReason: string;
  readonly restarts: number;
}

export function parseClusterPods(text: string): ClusterPod[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', ready = '', waitingReason = '', restarts = '0'] = line.split('\t');
      return { name, ready: ready === 'True', waitingReason, restarts: Number(restarts) || 0 };
    });
}

/** The recover command line for `node` of this target, as status suggests it. */
export function recoverHint(values: Pick<StackValues, 'environment' | 'provider'>, node: string): string {
  return `mise run recover --environment ${values.environment} --provider ${values.provider} --node ${node}`;
}

/** `restatectl` in `pod`, against the node it runs on. */
export function restatectlArgs(context: string, namespace: string, pod: string, argv: readonly string[]): string[] {
  return execArgs(context, namespace, pod, ['restatectl', ...argv, '--address', IN_POD_ADDRESS]);
}

function sql(session: Session, namespace: string, pod: string, query: string): SqlRow[] {
  const result = session.run(restatectlArgs(session.context, namespace, pod, ['sql', '--json', query]));
  const said = `${result.stdout}${result.stderr}`.trim();
  if (result.code !== 0)
    throw new DeployError(`restatectl sql in pod ${namespace}/${pod} exited ${result.code}: ${said.split('\n').pop() || 'no output'}`);
  const start = result.stdout.indexOf('[');
  if (start < 0)
    throw new DeployError(`restatectl sql in pod ${namespace}/${pod} printed no JSON rows: ${said.split('\n').pop() || 'no output'}`);
  try {
    const rows = JSON.parse(result.stdout.slice(start)) as unknown;
    if (!Array.isArray(rows)) throw new Error('not a list');
    return rows as SqlRow[];
  } catch (error) {
    throw new DeployError(`restatectl sql in pod ${namespace}/${pod} printed no JSON rows (${(error as Error).message})`);
  }
}

/** Repeats the wait's query until its rows satisfy it; throws with the last rows when `timeoutSeconds` runs out. */
function awaitState(session: Session, namespace: string, pod: string, wait: RecoverWait, timeoutSeconds: number): void {
  const { pollMs, clock } = session.timing;
  const end = clock.now() + timeoutSeconds * 1000;
  session.report.info(`    waiting up to ${timeoutSeconds}s until ${wait.description}`);
  for (;;) {
    const rows = sql(session, namespace, pod, wait.sql);
    if (wait.satisfied(rows)) {
      session.report.info(`    ok: ${wait.description}`);
      return;
    }
    if (clock.now() >= end) {
      throw new DeployError(
        `timed out after ${timeoutSeconds}s waiting until ${wait.description}; last answer: ${JSON.stringify(rows)}. ` +
          'Run recover again: it starts from what the cluster lists now.',
      );
    }
    clock.sleep(Math.min(pollMs, Math.max(0, end - clock.now())));
  }
}

/**
 * Runs a restatectl step; one that fails is tried again, every poll, until it succeeds or its wait's bound passes.
 * A change of the nodes configuration races with the nodes' own updates of it: seen on real servers (the podlet's
 * live test), `nodes remove` refused with `The system is not in a state required for the operation's execution:
 * [http://restate-1.restate-cluster:5122/] expected version 'v25' but found version 'Some(v26)'` while the lost node
 * crash-looped, and the same command went through a moment later. verify's volume-loss scenario tries its steps again
 * the same way.
 */
function runRestatectlStep(session: Session, argv: readonly string[], pod: string, step: RestatectlStep, timeoutSeconds: number): void {
  const { pollMs, clock } = session.timing;
  const end = clock.now() + Math.min(step.waitFor?.timeoutSeconds ?? timeoutSeconds, timeoutSeconds) * 1000;
  for (;;) {
    const result = session.run(argv);
    const said = `${result.stdout}${result.stderr}`.trim();
    if (said) session.report.info(indent(said));
    if (result.code === 0) return;
    // restatectl's own last line, not kubectl's `command terminated with exit code N` after it
    const last = said
      .split('\n')
      .filter((line) => !/^command terminated with exit code/.test(line.trim()))
      .pop();
    const failure = `restatectl ${step.argv.join(' ')} in pod ${pod} exited ${result.code}: ${last?.trim() || 'no output'}`;
    if (clock.now() >= end) throw new DeployError(`${failure} (tried until the step's bound passed)`);
    session.report.info(`    failed, trying again: ${failure}`);
    clock.sleep(Math.min(pollMs, Math.max(0, end - clock.now())));
  }
}

/** How a step is shown before it runs: what it does, and the command. */
function describe(step: RecoverStep, namespace: string, pod: string, context: string): string {
  const command =
    step.kind === 'restatectl'
      ? `kubectl ${shellLine(restatectlArgs(context, namespace, pod, step.argv))}`
      : `kubectl ${shellLine(['--context', context, '-n', namespace, 'delete', 'pvc', `storage-${step.nodeName}`, '--wait=false'])} && ` +
        `kubectl ${shellLine(['--context', context, '-n', namespace, 'delete', 'pod', step.nodeName])}`;
  return `${step.summary}\n    ${command}\n    then wait until ${step.waitFor!.description}`;
}

/**
 * Recovers a node that lost its volume (the recovery measured on real binaries, `recover-steps.ts`): checks that
 * the node's last log says so, finds its old node id through a healthy pod, shows the steps, asks, and runs them
 * through `kubectl exec` in that pod, waiting after each as the steps say.
 */
export function recover(session: Session, values: StackValues, options: RecoverOptions, timeoutSeconds: number): void {
  const { report, context } = session;
  const namespace = values.clusterName;
  const match = new RegExp(`^${STATEFULSET}-(0|[1-9][0-9]*)$`).exec(options.node);
  if (!match || Number(match[1]) >= values.replicas) {
    throw new DeployError(
      `--node must name a pod of the cluster, ${STATEFULSET}-0 … ${STATEFULSET}-${values.replicas - 1}, got "${options.node}"`,
      ExitCode.INVALID_INPUT,
    );
  }

  const pods = parseClusterPods(session.must(`listing the pods of ${namespace}`, clusterPodsArgs(context, values.clusterName)).stdout);
  const healthy = pods.find((pod) => pod.ready && pod.name !== options.node);
  if (!healthy)
    throw new DeployError(
      `no Ready pod other than ${options.node} in namespace ${namespace} to run restatectl in; recover needs the rest of the cluster serving`,
    );

  const log = session.run(previousLogArgs(context, namespace, options.node));
  if (!DATA_LOSS_LOG.test(`${log.stdout}${log.stderr}`)) {
    throw new DeployError(
      `the last log of ${namespace}/${options.node} (kubectl logs --previous) does not say "Detected data loss for log-server …": ` +
        "recover is only for a node that lost its volume and is refused by the cluster. Look at `mise run status` and the pod's log first",
    );
  }

  const rows = sql(session, namespace, healthy.name, nodeIdQuery(options.node));
  const ids = rows.map(nodeIdOf).filter((id): id is string => id !== undefined);
  if (ids.length !== 1) {
    throw new DeployError(
      ids.length === 0
        ? `the cluster lists no node named ${options.node}: its old identity is already removed. Restart it on an empty volume: ` +
            `kubectl ${shellLine(['--context', context, '-n', namespace, 'delete', 'pvc', `storage-${options.node}`, '--wait=false'])} ` +
            `&& kubectl ${shellLine(['--context', context, '-n', namespace, 'delete', 'pod', options.node])}`
        : `the cluster lists ${ids.length} nodes named ${options.node} (${ids.join(', ')}); recover retires exactly one. Look at \`restatectl nodes list\` first`,
    );
  }
  const lost: LostNode = { name: options.node, id: ids[0]! };
  const steps = recoverSteps(lost);

  report.info(`recover: ${options.node} is ${lost.id} and lost its data; the steps, run in pod ${namespace}/${healthy.name}:`);
  steps.forEach((step, i) => report.info(indent(`${i + 1}. ${describe(step, namespace, healthy.name, context)}`, '  ')));
  report.info(`  The volume of ${options.node} is deleted and recreated empty; this works only while the logs were never trimmed.`);
  if (!options.yes) {
    const answer = options.confirm(`Run these ${steps.length} steps on kube context "${context}"? [y/N] `);
    if (answer === 'no-tty')
      throw new DeployError(
        'recover asks before it changes the cluster, and there is no terminal to ask on: pass --yes to go on without asking',
        ExitCode.INVALID_INPUT,
      );
    if (!answer) throw new DeployError('not confirmed: nothing was changed');
  }

  steps.forEach((step, i) => {
    report.info(`recover: step ${i + 1}/${steps.length}: ${step.summary}`);
    if (step.kind === 'restatectl') {
      const pod = `${namespace}/${healthy.name}`;
      runRestatectlStep(session, restatectlArgs(context, namespace, healthy.name, step.argv), pod, step, timeoutSeconds);
    } else {
      session.must(`deleting the claim storage-${step.nodeName}`, [
        '--context',
        context,
        '-n',
        namespace,
        'delete',
        'pvc',
        `storage-${step.nodeName}`,
        '--wait=false',
      ]);
      session.must(`deleting the pod ${step.nodeName}`, [
        '--context',
        context,
        '-n',
        namespace,
        'delete',
        'pod',
        step.nodeName,
        `--timeout=${timeoutSeconds}s`,
      ]);
    }
    if (step.waitFor) awaitState(session, namespace, healthy.name, step.waitFor, Math.min(step.waitFor.timeoutSeconds, timeoutSeconds));
  });
  report.info(
    `recover: ${options.node} rejoined under a new node id; check that every partition has a leader again: mise run status --environment ${values.environment} --provider ${values.provider}`,
  );
}
