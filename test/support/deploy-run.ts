import type { DeployArgs } from '../../lib/deploy/args';
import { runDeploy } from '../../lib/deploy/commands';
import { KubectlProcess } from '../../lib/deploy/process';
import type { Reporter, WaitClock, WaitTiming } from '../../lib/deploy/session';
import type { Sops } from '../../lib/deploy/sops';
import type { ToolProbe } from '../../lib/deploy/tools';
import { KubectlStandIn, type Rule } from '../fixtures/kubectl-stand-in';
import { deployValues } from './deploy-values';
import { loadTargetValues } from '../../lib/values';

/**
 * A clock whose pauses pass at once. A stand-in answers from its rules and never changes by itself, so a polling wait
 * on it that does not see the awaited state at once may never see it: on this clock such a wait looks as often as
 * it would on a cluster and ends at its deadline in moments, with the real message ("timed out after 300s ...: 3/5
 * ready"), instead of holding the test for the minutes that deadline is meant for.
 */
export class InstantClock implements WaitClock {
  private at = 0;

  now(): number {
    return this.at;
  }

  sleep(ms: number): void {
    this.at += ms;
  }
}

/**
 * How the in-process deploy tests poll: a look every 10 s and a progress line at most every 60 s, on an instant
 * clock (a wait of 300 s that never ends is 31 looks). A test of changing states counts looks (a rule's `times`).
 */
export function standInTiming(): WaitTiming {
  return { pollMs: 10_000, progressMs: 60_000, clock: new InstantClock() };
}

/** What one in-process deploy command did: its exit code, the kubectl calls and what it printed. */
export interface DeployRun {
  readonly code: number;
  readonly calls: string[][];
  readonly out: string;
  readonly err: string;
  readonly kubectl: KubectlStandIn;
}

export interface DeployRunOptions {
  /** Folder of synthesized targets. */
  readonly dist: string;
  readonly provider: string;
  /** Every stand-in made is pushed here, for the test file to remove. */
  readonly cleanup: Array<{ remove(): void }>;
  readonly overrides?: Partial<DeployArgs>;
  readonly sops?: Sops;
  /** The helm program for the fresh synth that preview and promote compare the target folder with. */
  readonly helmExecutable?: string;
  /** The tool check of the command-line edge; unset: none. */
  readonly tools?: ToolProbe;
  /** recover's question to the user. @default - nobody to ask */
  readonly confirm?: (question: string) => boolean | 'no-tty';
  /** How the polling waits look, and by which clock. @default standInTiming() */
  readonly waitTiming?: WaitTiming;
}

/** Runs one deploy command of `dev/<provider>` in-process against a stand-in kubectl answering with `rules`. */
export function deployWithStandIn(command: DeployArgs['command'], rules: readonly Rule[], options: DeployRunOptions): DeployRun {
  const kubectl = new KubectlStandIn(rules);
  options.cleanup.push(kubectl);
  const out: string[] = [];
  const err: string[] = [];
  const report: Reporter = { info: (line) => out.push(line), warn: (line) => err.push(line) };
  const args: DeployArgs = {
    command,
    environment: 'dev',
    provider: options.provider,
    valuesDir: deployValues(),
    dist: options.dist,
    allowContextMismatch: false,
    timeoutSeconds: 300,
    forceConflicts: false,
    ...options.overrides,
  };
  const code = runDeploy(args, {
    kubectl: new KubectlProcess(kubectl.env()),
    report,
    helmExecutable: options.helmExecutable,
    waitTiming: options.waitTiming ?? standInTiming(),
    ...(options.sops ? { sops: options.sops } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.confirm ? { confirm: options.confirm } : {}),
  });
  return { code, calls: kubectl.calls(), out: out.join('\n'), err: err.join('\n'), kubectl };
}

/** The three reads of one poll of promote's last wait, as `rolloutReadArgs` builds them (without --context). */
export function rolloutReads(cluster: string): string[][] {
  return [
    ['get', `restatecluster/${cluster}`, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'],
    [
      '-n',
      cluster,
      'get',
      'statefulset/restate',
      '-o',
      'jsonpath={.metadata.generation}{"\\t"}{.status.observedGeneration}{"\\t"}{.spec.replicas}{"\\t"}' +
        '{.status.replicas}{"\\t"}{.status.readyReplicas}{"\\t"}' +
        '{.status.updatedReplicas}{"\\t"}{.status.currentRevision}{"\\t"}{.status.updateRevision}{"\\t"}{.spec.template.spec.containers[0].image}',
    ],
    [
      '-n',
      cluster,
      'get',
      'pods',
      '-l',
      `app.kubernetes.io/name=restate,app.kubernetes.io/instance=${cluster}`,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.metadata.labels.controller-revision-hash}{"\\t"}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ],
  ];
}

export interface RolloutPicture {
  readonly ready?: string;
  readonly generation?: number;
  readonly observedGeneration?: number;
  /** Pods ready and at the update revision. */
  readonly readyPods?: number;
  readonly updatedPods?: number;
  readonly currentRevision?: string;
  readonly image?: string;
  /** Answer only this many polls (a state that changes). @default - every poll */
  readonly times?: number;
}

/** The image the tests' values give every target (the StatefulSet of a finished rollout runs it). */
function deployedImage(): string {
  return loadTargetValues(deployValues(), 'dev', 'vultr').values.image;
}

/**
 * Stand-in rules answering promote's last wait for `cluster` with `replicas` pods: by default Ready, every pod
 * ready at revision restate-2, the image of the values the tests deploy; `picture` describes another state.
 */
export function rolloutRules(cluster: string, replicas: number, picture: RolloutPicture = {}): Rule[] {
  const update = 'restate-2';
  const ready = picture.readyPods ?? replicas;
  const updated = picture.updatedPods ?? replicas;
  const generation = picture.generation ?? 2;
  const sts = [
    generation,
    picture.observedGeneration ?? generation,
    replicas,
    replicas,
    ready,
    updated,
    picture.currentRevision ?? update,
    update,
    picture.image ?? deployedImage(),
  ].join('\t');
  const pods = Array.from(
    { length: replicas },
    (_, i) => `restate-${i}\t${i < updated ? update : 'restate-1'}\t${i < ready ? 'True' : 'False'}\n`,
  ).join('');
  const times = picture.times === undefined ? {} : { times: picture.times };
  return [
    { match: `*get restatecluster/${cluster} -o jsonpath=*`, stdout: picture.ready ?? 'True', ...times },
    { match: `*-n ${cluster} get statefulset/restate *`, stdout: sts, ...times },
    { match: `*-n ${cluster} get pods -l *`, stdout: pods, ...times },
  ];
}

/** Both clusters of the tests' values (dev 3 pods, prod 5) rolled out and Ready. */
export const ROLLED_OUT: readonly Rule[] = [...rolloutRules('restate-dev', 3), ...rolloutRules('restate-prod', 5)];
