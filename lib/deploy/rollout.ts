import { DeployError } from './errors';
import type { Session } from './session';
import { Upstream } from './waits';
import { clusterPodLabels } from '../target-folder/operator-names';

/** What promote's last wait needs to know about the cluster. */
export interface ReadyTarget {
  readonly clusterName: string;
  readonly replicas: number;
  /** `spec.compute.image`: the StatefulSet's pod template must carry it (the operator has seen this apply). */
  readonly image: string;
  readonly operatorNamespace: string;
}

/** The RestateCluster's Ready condition and its StatefulSet's rollout, as read in one poll. */
export interface RolloutState {
  readonly ready: string;
  readonly generation: number;
  readonly observedGeneration: number;
  readonly specReplicas: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly updatedReplicas: number;
  readonly currentRevision: string;
  readonly updateRevision: string;
  readonly image: string;
  /** Each pod: name, its revision (controller-revision-hash) and whether it is Ready. */
  readonly pods: readonly { readonly name: string; readonly revision: string; readonly ready: boolean }[];
}

const STATEFULSET_JSONPATH =
  'jsonpath={.metadata.generation}{"\\t"}{.status.observedGeneration}{"\\t"}{.spec.replicas}{"\\t"}{.status.replicas}{"\\t"}' +
  '{.status.readyReplicas}{"\\t"}{.status.updatedReplicas}{"\\t"}{.status.currentRevision}{"\\t"}{.status.updateRevision}{"\\t"}' +
  '{.spec.template.spec.containers[0].image}';
const PODS_JSONPATH =
  'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels.controller-revision-hash}{"\\t"}' +
  '{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}';
const READY_JSONPATH = 'jsonpath={.status.conditions[?(@.type=="Ready")].status}';

/** The three reads of one poll: the CR's Ready, the StatefulSet, its pods. */
export function rolloutReadArgs(context: string, target: ReadyTarget): { ready: string[]; statefulSet: string[]; pods: string[] } {
  const ns = target.clusterName;
  return {
    ready: ['--context', context, 'get', `restatecluster/${ns}`, '-o', READY_JSONPATH],
    statefulSet: ['--context', context, '-n', ns, 'get', `statefulset/${Upstream.STATEFULSET}`, '-o', STATEFULSET_JSONPATH],
    pods: ['--context', context, '-n', ns, 'get', 'pods', '-l', labelSelector(clusterPodLabels(ns)), '-o', PODS_JSONPATH],
  };
}

/** `k=v,k=v`, as `kubectl get -l` takes it. */
const labelSelector = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');

const num = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number(s));

/** Reads the kubectl outputs of one poll. Pure. */
export function parseRolloutState(ready: string, statefulSet: string, pods: string): RolloutState {
  const f = statefulSet.trim().split('\t');
  return {
    ready: ready.trim() || 'Unknown',
    generation: num(f[0]),
    observedGeneration: num(f[1]),
    specReplicas: num(f[2]),
    replicas: num(f[3]),
    readyReplicas: num(f[4]),
    updatedReplicas: num(f[5]),
    currentRevision: f[6] ?? '',
    updateRevision: f[7] ?? '',
    image: f[8] ?? '',
    pods: pods
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [name, revision, status] = l.split('\t');
        return { name, revision: revision ?? '', ready: status === 'True' };
      })
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })),
  };
}

/**
 * Whether the cluster is Ready *now*, and a one-line picture of it. Operator 1.7.4's Ready condition has no
 * observedGeneration and ignores updated replicas and revisions (it is True when the StatefulSet's replicas and readyReplicas equal spec.replicas), so after a re-apply it can
 * still be the old True: the StatefulSet must also have seen its latest spec, carry the applied image, and have
 * every replica updated to the update revision and ready. Pure.
 */
export function rolloutVerdict(state: RolloutState, target: ReadyTarget): { readonly done: boolean; readonly line: string } {
  const want = target.replicas;
  const pods = state.pods
    .map(
      (p) =>
        `${p.name} ${p.ready ? 'ready' : 'not ready'}${state.updateRevision && p.revision !== state.updateRevision ? ' (old revision)' : ''}`,
    )
    .join(', ');
  const problems: string[] = [];
  if (state.observedGeneration < state.generation)
    problems.push(`StatefulSet generation ${state.generation} not observed yet (${state.observedGeneration})`);
  if (state.image !== target.image) problems.push(`StatefulSet still has image ${state.image || '(none)'}, not ${target.image}`);
  if (state.specReplicas !== want) problems.push(`StatefulSet wants ${state.specReplicas} replicas, not ${want}`);
  if (state.updatedReplicas < want) problems.push(`${state.updatedReplicas}/${want} updated`);
  if (state.readyReplicas < want || state.replicas !== want) problems.push(`${state.readyReplicas}/${want} ready`);
  if (state.currentRevision !== state.updateRevision)
    problems.push(`rolling from ${state.currentRevision || '?'} to ${state.updateRevision || '?'}`);
  if (state.ready !== 'True') problems.push(`RestateCluster Ready=${state.ready}`);
  const summary = problems.length === 0 ? `Ready, ${want}/${want} pods ready at revision ${state.updateRevision}` : problems.join('; ');
  return { done: problems.length === 0, line: `${summary}${pods ? ` [${pods}]` : ''}` };
}

/**
 * Waits until the RestateCluster is Ready and its StatefulSet rolled out to the applied spec (see
 * `rolloutVerdict`), polling every `pollMs` and printing the picture whenever it changes and at least every
 * `progressMs`. Throws a DeployError naming what was still missing at the deadline.
 */
export function waitForReadyRollout(session: Session, target: ReadyTarget, timeoutSeconds: number, step: string): void {
  const { pollMs, progressMs, clock } = session.timing;
  const ns = target.clusterName;
  session.report.info(
    `${step} waiting up to ${timeoutSeconds}s for RestateCluster ${ns} to be Ready and StatefulSet ${ns}/${Upstream.STATEFULSET} rolled out`,
  );
  const args = rolloutReadArgs(session.context, target);
  const end = clock.now() + timeoutSeconds * 1000;
  let said = '';
  let saidAt = 0;
  let line = '(no answer yet)';
  for (;;) {
    const ready = session.run(args.ready);
    const sts = session.run(args.statefulSet);
    const pods = session.run(args.pods);
    if (ready.code === 0 && sts.code === 0 && pods.code === 0) {
      const verdict = rolloutVerdict(parseRolloutState(ready.stdout, sts.stdout, pods.stdout), target);
      line = verdict.line;
      if (verdict.done) {
        session.report.info(`    ${line}`);
        return;
      }
    } else {
      line = `kubectl: ${
        [ready, sts, pods]
          .find((r) => r.code !== 0)!
          .stderr.trim()
          .split('\n')[0]
      }`;
    }
    const now = clock.now();
    if (now >= end) break;
    if (line !== said || now - saidAt >= progressMs) {
      session.report.info(`    ${line}`);
      said = line;
      saidAt = now;
    }
    clock.sleep(Math.min(pollMs, Math.max(0, end - now)));
  }
  throw new DeployError(
    `timed out after ${timeoutSeconds}s waiting for RestateCluster ${ns} to be Ready and rolled out: ${line}\n` +
      `  likely cause: pods not Ready (not provisioned, or a partition/metadata problem), a rollout stuck on a pod that does not start, ` +
      `or the operator has not reconciled the change; see \`kubectl -n ${ns} get pods\`, \`kubectl -n ${ns} rollout status statefulset/${Upstream.STATEFULSET}\`, ` +
      `\`kubectl get restatecluster ${ns} -o yaml\` and \`kubectl -n ${target.operatorNamespace} logs deployment/${Upstream.OPERATOR_DEPLOYMENT}\`.\n` +
      '  When it is only slow, run promote again (every step is idempotent), with a larger --timeout if needed.',
  );
}
