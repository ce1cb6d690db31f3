import { parseImageReference, showBytes, targetDir } from '../values';
import { formatLintProblems } from './config-compare';
import { formatNodeMemory } from './live-memory';
import { seconds } from './live-session';
import type { TargetVerification, Versions } from './run';
import type { ScenarioResult } from './scenarios/scenario';

function imageNote(image: string, versions: Versions): string {
  const parsed = parseImageReference(image);
  const tag = typeof parsed === 'string' ? undefined : parsed.tag;
  const same = tag !== undefined && (versions.server === tag || versions.server.startsWith(`${tag}.`));
  return same ? `the CR's image ${image} is of the same release` : `the CR's image ${image} may differ from them (npm has no build of it)`;
}

/** The short report of one target: lint, live result, timings, versions. */
export function formatTargetReport(result: TargetVerification, versions: Versions): string {
  const lines = [`verify ${targetDir(result.target)}: ${result.ok ? 'OK' : 'FAILED'}`];
  if (result.readError) {
    lines.push(`  manifest:  ${result.readError}`);
    return lines.join('\n');
  }
  const { cluster, lint, live } = result;
  if (cluster)
    lines.push(
      `  cluster:   ${cluster.file}: RestateCluster ${cluster.name}, ${cluster.replicas} replicas, image ${cluster.image}, ` +
        `operator ${cluster.operatorVersion ?? '1.7.4'}${cluster.autoProvision ? ' (autoProvision)' : ''}`,
    );
  if (lint) {
    lines.push(
      lint.ok
        ? `  lint:      ok, all ${lint.checkedKeys} keys take effect as written (${lint.durationMs} ms)`
        : `  lint:      FAILED, ${lint.problems.length} of ${lint.checkedKeys} keys (${lint.durationMs} ms):\n${formatLintProblems(lint.problems).replace(/^/gm, '    ')}`,
    );
    for (const u of lint.unresolvedEnv)
      lines.push(`  note:      env ${u.name} comes from ${u.source}; its effect on the config is not checked`);
  }
  if (result.liveNotRun) lines.push(`  live:      ${result.liveNotRun}`);
  if (result.liveError) lines.push(`  live:      FAILED: ${result.liveError}`);
  if (live) {
    const failed = live.steps.find((s) => !s.ok);
    lines.push(
      live.ok
        ? `  live:      ok, ${live.steps.length} checks`
        : `  live:      FAILED at "${failed?.name}":\n    ${failed?.detail.replace(/\n/g, '\n    ')}`,
    );
    if (live.base) lines.push(`  base:      ${live.base}`);
    if (live.readyMs !== undefined)
      lines.push(`  ready:     ${seconds(live.readyMs)} from start until every partition had an active leader`);
    if (live.failoverMs !== undefined)
      lines.push(`  fail-over: ${seconds(live.failoverMs)} after SIGKILL of ${live.killed} until every partition had a live leader`);
    if (live.nodeDownAlert) {
      const a = live.nodeDownAlert;
      const resolved = a.resolvedMs === undefined ? 'not seen resolved' : `inactive again ${seconds(a.resolvedMs)} after its restart`;
      lines.push(
        `  alert:     ${a.alert} (a real Prometheus, the target's rules) inactive before, ${a.state} ${seconds(a.raisedMs)} after SIGKILL of ${a.victim} ` +
          `(for: ${a.for ?? '0s'} until firing), ${resolved}`,
      );
    }
    if (live.jobMs !== undefined)
      lines.push(
        `  job:       the provisioning Job, run as synthesized from its namespace's DNS view, provisioned the cluster in ${seconds(live.jobMs)}`,
      );
    if (live.policies) {
      const p = live.policies;
      lines.push(
        `  policies:  ${p.checks} NetworkPolicy checks enforced (${p.reached} connections through, ${p.refused} refused, each as required) ` +
          `by ${p.acceptRules} nftables accept rules from the ${p.policies} policies of operator ${cluster?.operatorVersion ?? '1.7.4'}; loopback + socket uid, not a CNI`,
      );
    }
    if (live.memory) {
      const m = live.memory;
      lines.push(
        `  memory:    cgroup ${m.cgroup}, each node under ${showBytes(m.plan.limitBytes)} (shipped limits.memory ${m.plan.shipped}` +
          `${m.plan.factor < 1 ? `, scaled by 1/${1 / m.plan.factor}` : ''}); ` +
          `budgets reported: ${Object.entries(m.reported)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      );
      for (const note of m.plan.notes) lines.push(`             ${note}`);
      for (const node of m.nodes) lines.push(`             ${formatNodeMemory(node)}`);
    }
    if (live.counter) {
      const c = live.counter;
      lines.push(
        `  counter:   ${c.adds} adds answered exactly 1..${c.adds}, final ${c.final}; ` +
          c.kills.map((k) => `SIGKILL ${k.node}: next answer after ${seconds(k.firstAnswerMs)}`).join(', ') +
          `; slowest add ${seconds(c.slowestAddMs)}`,
      );
    }
    if (live.sleep) {
      const z = live.sleep;
      lines.push(
        `  sleep:     ${z.invocationId} suspended in ctx.sleep(${seconds(z.sleepMs)}); SIGKILL of its partition leader ${z.node}; ` +
          `completed ${seconds(z.completedAfterKillMs)} after the kill (${seconds(z.lateMs)} after its timer was due), ` +
          `state after the sleep written ${z.marks === 1 ? 'exactly once' : `${z.marks} times`}`,
      );
    }
    if (live.snapshots) {
      lines.push(
        `  snapshots: partitions ${live.snapshots.partitions.join(', ')} (written by ${live.snapshots.writers.join(', ')}) snapshotted to ${live.snapshots.destination} in a local S3 STAND-IN ` +
          `(s3rver at ${live.snapshots.endpoint}, set through env; config.toml as shipped): proves the snapshot keys and ` +
          'wiring against an S3 API, not the real store (endpoint, credentials, conditional writes, consistency)',
      );
    }
  }
  if (result.scenario) lines.push(...scenarioLines(result.scenario));
  const note = cluster ? `; ${imageNote(cluster.image, versions)}` : '';
  lines.push(`  versions:  restate-server ${versions.server} and restatectl ${versions.restatectl} from npm${note}`);
  return lines.join('\n');
}

/** The scenario's verdict, each step with its time, its figures and what the stack does about it. */
function scenarioLines(run: ScenarioResult): string[] {
  const lines = [
    `  scenario:  ${run.name} ${run.ok ? 'ok' : 'FAILED'}, ${run.steps.length} steps in ${seconds(run.ms)} (budget ${run.budgetSeconds} s)`,
  ];
  for (const step of run.steps)
    lines.push(`    ${step.ok ? 'ok  ' : 'FAIL'} ${step.name} (${seconds(step.ms)}): ${step.detail.replace(/\n/g, '\n      ')}`);
  for (const f of run.outcome?.figures ?? []) lines.push(`  figure:    ${f.name} = ${f.value}${f.unit ? ` ${f.unit}` : ''}`);
  if (run.outcome?.consequence) lines.push(`  stack:     ${run.outcome.consequence}`);
  return lines;
}

/** One line per target, then the verdict. */
export function formatSummary(results: readonly TargetVerification[], skipped: number): string {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const rows = results.map((r) => {
    const live = r.scenario
      ? `scenario ${r.scenario.name} ${r.scenario.ok ? 'ok' : 'FAILED'}`
      : r.live
        ? `live${r.live.base ? ' (control plane)' : ''} ${r.live.ok ? 'ok' : 'FAILED'}`
        : r.liveError
          ? 'live FAILED'
          : r.liveNotRun?.startsWith('cannot run')
            ? 'live not possible here'
            : 'no live run';
    const lint = r.lint ? (r.lint.ok ? 'lint ok' : 'lint FAILED') : 'not read';
    return `  ${r.ok ? 'ok    ' : 'FAILED'} ${targetDir(r.target)}: ${lint}, ${live}`;
  });
  const tail = skipped > 0 ? `, ${skipped} not verified` : '';
  return `${rows.join('\n')}\nverify: ${passed} passed, ${failed} failed${tail}`;
}
