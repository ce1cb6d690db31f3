import type { DeployArgs } from '../../lib/deploy/args';
import { runDeploy } from '../../lib/deploy/commands';
import { KubectlProcess } from '../../lib/deploy/process';
import type { Reporter } from '../../lib/deploy/session';
import type { Sops } from '../../lib/deploy/sops';
import type { ToolProbe } from '../../lib/deploy/tools';
import { KubectlStandIn, type Rule } from '../fixtures/kubectl-stand-in';
import { FIXTURE_VALUES } from './values-dir';

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
    valuesDir: FIXTURE_VALUES,
    dist: options.dist,
    allowContextMismatch: false,
    timeoutSeconds: 300,
    forceConflicts: false,
    ...options.overrides,
  };
  // Polling waits look every 50 ms here, so that a test of a changing state takes moments, not seconds.
  const code = runDeploy(args, {
    kubectl: new KubectlProcess(kubectl.env()),
    report,
    helmExecutable: options.helmExecutable,
    waitTiming: { pollMs: 50, progressMs: 60_000 },
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

/**
 * Stand-in rules answering promote's last wait for `cluster` with `replicas` pods: by default Ready, every pod
 * ready at revision restate-2, image restatedev/restate:1.4; `picture` describes another state.
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
    picture.image ?? 'restatedev/restate:1.4',
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
