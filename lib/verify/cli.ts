/**
 * npm run verify: proves the synthesized server config on the real Restate binaries before it ships.
 *
 *   npm run verify -- --environment dev --provider vultr     lint + live cluster for one target
 *   npm run verify -- --all --lint-only                      lint of every target
 *   npm run verify -- -e dev -p vultr --scenario scale-out   one day-two scenario (lib/verify/scenarios/)
 */
import { execFileSync } from 'node:child_process';
import { ExitCode } from '../errors/user-error';
import { loadTargets, targetLayerFiles, ValuesError } from '../values';
import { parseVerifyArgs, VERIFY_USAGE } from './args';
import { binaryVersion, resolveRestateBinaries } from './binaries';
import { Deadline } from './deadline';
import { VerifyError } from './errors';
import { assertNamespacesAvailable, unshareArgs } from './linux-namespaces';
import { formatSummary, formatTargetReport } from './report';
import { verifyTargets, type Versions } from './run';
import { findScenario } from './scenarios';
import { findControlPlane } from '../control-plane/build';
import { assertExecutable } from './operator-binary';

/** `restate-server --version`, run without network like every server start. */
function serverVersion(server: string): string {
  const [command, ...prefix] = unshareArgs();
  const text = execFileSync(command, [...prefix, server, '--version'], {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return /(\d+\.\d+\.\d+\S*)/.exec(text)?.[1] ?? text.trim();
}

async function main(argv: readonly string[]): Promise<number> {
  let interrupted = false;
  const onSignal = (): void => {
    if (!interrupted) process.stderr.write('verify: interrupted; stopping what was started\n');
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const args = parseVerifyArgs(argv);
    if (args === 'help') {
      process.stdout.write(`${VERIFY_USAGE}\n`);
      return 0;
    }
    // One target is named as synth names it: an environment and a provider of the values (a typo gets "did you mean").
    if (!args.all) targetLayerFiles(args.valuesDir, args.environment!, args.provider!);
    const targets = args.all ? loadTargets(args.valuesDir) : [{ environment: args.environment!, provider: args.provider! }];
    const liveTargets = args.lintOnly ? 0 : targets.length;
    const budget = args.scenario === undefined ? undefined : findScenario(args.scenario)?.budgetSeconds;
    // The control plane's run starts more (the control plane, the controllers' pods) and waits on real restarts.
    const perTarget = args.on === 'control-plane' ? 360 : 240;
    const deadline = Deadline.in((args.deadlineSeconds ?? 30 + (budget ?? perTarget * liveTargets)) * 1000);

    if (args.on === 'control-plane' && liveTargets > 0) {
      await findControlPlane().catch(() => {
        throw new VerifyError('--on control-plane: the control plane is not built here; run `npm run control-plane:build` first');
      });
      if (args.operatorBin) assertExecutable(args.operatorBin.path, args.operatorBin.givenBy);
    }
    assertNamespacesAvailable();
    const binaries = resolveRestateBinaries();
    const versions: Versions = { server: serverVersion(binaries.server), restatectl: binaryVersion(binaries.restatectl) };

    const results = await verifyTargets({
      targets,
      distDir: args.distDir,
      lintOnly: args.lintOnly,
      deadline,
      readyBoundMs: args.readySeconds * 1000,
      failoverBoundMs: args.failoverSeconds * 1000,
      binaries,
      ...(args.scenario !== undefined ? { scenario: args.scenario } : {}),
      on: args.on,
      ...(args.operatorBin ? { operatorBin: args.operatorBin } : {}),
      onTarget: (result) => process.stdout.write(`${formatTargetReport(result, versions)}\n`),
      stopRequested: () => interrupted || deadline.expired(),
    });
    const skipped = targets.length - results.length;
    process.stdout.write(`${formatSummary(results, skipped)}\n`);
    if (interrupted) return ExitCode.INTERRUPTED;
    // A target whose manifests cannot be read back was not verified at all: its input is wrong (as for a ManifestError).
    if (results.some((r) => r.readError !== undefined)) return ExitCode.INVALID_INPUT;
    return results.every((r) => r.ok) && skipped === 0 ? ExitCode.OK : ExitCode.FAILED;
  } catch (error) {
    if (error instanceof ValuesError) {
      process.stderr.write(`verify: invalid input:\n${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof VerifyError) {
      process.stderr.write(`verify: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`verify: failed: ${error.stack ?? error.message}\n`);
    process.exitCode = ExitCode.FAILED;
  },
);
