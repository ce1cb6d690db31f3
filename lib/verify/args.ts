import { parseArgs } from 'node:util';
import { ValuesError } from '../values';
import { emptyFlag, emptyFlagMessage, TARGET_OPTIONS } from '../cli/target-options';
import { SCENARIOS, scenarioNames } from './scenarios';
import { unknownFlagMessage } from '../cli/suggest-flag';

export interface VerifyArgs {
  /** One target (with `provider`); unset with `all`. */
  readonly environment?: string;
  readonly provider?: string;
  /** Every target of values/targets.yaml. */
  readonly all: boolean;
  readonly distDir: string;
  readonly valuesDir: string;
  /** Only the config lint, no live cluster. */
  readonly lintOnly: boolean;
  /** Global deadline of the whole run; unset: 30 s plus 240 s per live target (360 s on the control plane). */
  readonly deadlineSeconds?: number;
  /** Bound from starting the nodes until every partition has an active leader. */
  readonly readySeconds: number;
  /** Bound from the SIGKILL until every partition has an active leader on a live node again. */
  readonly failoverSeconds: number;
  /** A day-two scenario to run on the one target instead of the live check (lib/verify/scenarios/). */
  readonly scenario?: string;
  /** What the live check runs on: the model (lib/verify/local-cluster.ts) or a real control plane with the podlet. */
  readonly on: LiveBase;
  /** A restate-operator binary in the operator part's place (`--on control-plane` only), and what named it. */
  readonly operatorBin?: { readonly path: string; readonly givenBy: string };
}

export const LIVE_BASES = ['model', 'control-plane'] as const;
export type LiveBase = (typeof LIVE_BASES)[number];

/** The environment variable that names a restate-operator binary when `--operator-bin` is not given. */
export const OPERATOR_BIN_VARIABLE = 'RESTATE_OPERATOR_BIN';

export const VERIFY_USAGE = `usage: npm run verify -- (--environment ENV --provider PROVIDER | --all) [options]

  Checks what ships: the RestateCluster in <dist>/<environment>/<provider>/0001-cluster.k8s.yaml.
  1. config lint: every key of spec.config must be known to restate-server and take effect as written in a pod
  2. live cluster: spec.compute.replicas real restate-server processes in a loopback-only network namespace,
     provisioned with lib/stack/provisioning/provision.sh; layout, idempotent provisioning, fail-over after SIGKILL;
     with [worker.snapshots] a local S3 stand-in (s3rver, loopback only) serves the destination and a snapshot
     of one partition per leading node must land there (object-store metadata is not run live)

  --environment, -e ENV       target environment (with --provider)
  --provider, -p PROVIDER     target provider
  --all                       every target in <values-dir>/targets.yaml
  --lint-only                 only the config lint (well under a second per target)
  --dist DIR                  synthesized output (default: dist)
  --values-dir DIR            values folder (default: values): the targets of --all, the names -e and -p must have
  --deadline SECONDS          global deadline (default: 30 + 240 per live target; 360 with --on control-plane)
  --ready-bound SECONDS       start until every partition has a leader (default: 90)
  --failover-bound SECONDS    SIGKILL until every partition has a live leader again (default: 20)
  --on BASE                   what the live check runs on: model (default; processes as pods in namespaces of
                              verify's own) or control-plane (a real kube-apiserver, controllers and scheduler
                              from \`npm run control-plane:build\`, the operator's part writing its objects, the
                              podlet running the pods; fewer checks yet: docs/verify.md)
  --operator-bin PATH         with --on control-plane: run this restate-operator binary (the target's version) in
                              the operator part's place (default: $${OPERATOR_BIN_VARIABLE} when set)
  --scenario NAME             instead of the live check, one day-two scenario on the one target (its own
                              time budget; default deadline: 30 + the budget):
${SCENARIOS.map((s) => `                                ${s.name.padEnd(18)} ${s.summary} (budget ${s.budgetSeconds} s)`).join('\n')}`;

function seconds(flag: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(text))
    throw ValuesError.single('(command line)', '', `--${flag} must be a whole number of seconds, at least 1 (got "${text}")`);
  return Number(text);
}

const OPTIONS = {
  ...TARGET_OPTIONS,
  all: { type: 'boolean', default: false },
  'lint-only': { type: 'boolean', default: false },
  dist: { type: 'string', default: 'dist' },
  deadline: { type: 'string' },
  'ready-bound': { type: 'string' },
  'failover-bound': { type: 'string' },
  scenario: { type: 'string' },
  on: { type: 'string', default: 'model' },
  'operator-bin': { type: 'string' },
} as const;

/** Parses verify's command line; mistakes are ValuesErrors naming the flag. */
export function parseVerifyArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): VerifyArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    throw ValuesError.single('(command line)', '', `${unknownFlagMessage(error as Error, Object.keys(OPTIONS))}\n${VERIFY_USAGE}`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const empty = emptyFlag(v, ['environment', 'provider', 'values-dir', 'dist', 'scenario', 'on', 'operator-bin']);
  if (empty) throw ValuesError.single('(command line)', '', `${emptyFlagMessage(empty)}\n${VERIFY_USAGE}`);
  const one = v.environment !== undefined || v.provider !== undefined;
  if (one && (v.environment === undefined || v.provider === undefined)) {
    throw ValuesError.single('(command line)', '', '--environment and --provider go together');
  }
  if (one === v.all) {
    throw ValuesError.single('(command line)', '', `name one target (--environment and --provider) or --all\n${VERIFY_USAGE}`);
  }
  if (v.scenario !== undefined) {
    if (!scenarioNames().includes(v.scenario)) {
      throw ValuesError.single(
        '(command line)',
        '',
        `--scenario: unknown scenario "${v.scenario}"; the scenarios are: ${scenarioNames().join(', ')}`,
      );
    }
    if (v.all || v['lint-only'])
      throw ValuesError.single(
        '(command line)',
        '',
        '--scenario runs on one target (--environment and --provider), not with --all or --lint-only',
      );
  }
  const on = v.on as LiveBase;
  if (!LIVE_BASES.includes(on))
    throw ValuesError.single('(command line)', '', `--on: unknown base "${v.on}"; the bases are: ${LIVE_BASES.join(', ')}`);
  if (on === 'control-plane' && v.scenario !== undefined)
    throw ValuesError.single(
      '(command line)',
      '',
      '--scenario runs on the model only; the day-two scenarios are not on --on control-plane yet',
    );
  if (v['operator-bin'] !== undefined && on !== 'control-plane')
    throw ValuesError.single(
      '(command line)',
      '',
      '--operator-bin runs the operator on the control plane: give it with --on control-plane',
    );
  const variable = env[OPERATOR_BIN_VARIABLE];
  const operatorBin =
    v['operator-bin'] !== undefined
      ? { path: v['operator-bin'], givenBy: '--operator-bin' }
      : on === 'control-plane' && variable
        ? { path: variable, givenBy: OPERATOR_BIN_VARIABLE }
        : undefined;
  return {
    ...(v.scenario !== undefined ? { scenario: v.scenario } : {}),
    on,
    ...(operatorBin ? { operatorBin } : {}),
    environment: v.environment,
    provider: v.provider,
    all: v.all!,
    distDir: v.dist!,
    valuesDir: v['values-dir']!,
    lintOnly: v['lint-only']!,
    deadlineSeconds: seconds('deadline', v.deadline),
    readySeconds: seconds('ready-bound', v['ready-bound'], 90)!,
    failoverSeconds: seconds('failover-bound', v['failover-bound'], 20)!,
  };
}
