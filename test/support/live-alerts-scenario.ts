/**
 * Runs inside the verify sandbox (loopback only) for test/alerts/live-alerts.live.test.ts: a real 3-node Restate
 * cluster, provisioned as the Job does, scraped by a real Prometheus (Debian's) that loads the synthesized rules;
 * one node is SIGKILLed and later restarted on its data. Records every alert's state, once a second, from the
 * Prometheus API.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROVISION_SCRIPT_PATH, provisionScriptArgs } from '../../lib/stack/provisioning/script';
import type { RestateBinaries } from '../../lib/verify/binaries';
import type { ClusterUnderTest } from '../../lib/verify/cluster-spec';
import { isolatedMain } from '../../lib/verify/isolated-main';
import { LocalCluster } from '../../lib/verify/local-cluster';
import { ManagedProcess } from '../../lib/verify/managed-process';
import { runCommand } from '../../lib/verify/restatectl';

export interface LiveAlertsInput {
  readonly cluster: ClusterUnderTest;
  readonly binaries: RestateBinaries;
  /** The rule groups to load (the synthesized PrometheusRule's spec.groups, `for:` shortened by the test). */
  readonly groups: unknown[];
  /** Labels of every target, as the Prometheus Operator relabels a PodMonitor's targets (namespace, container). */
  readonly targetLabels: Record<string, string>;
  /** The scrape job's name, as the Prometheus Operator names a PodMonitor's (podMonitor/<ns>/<name>/0). */
  readonly job: string;
  readonly scrapeSeconds: number;
  /** How long to watch before the kill, with the node down, and after the restart. */
  readonly quietSeconds: number;
  readonly downSeconds: number;
  readonly afterSeconds: number;
}

/** One look at the Prometheus API: seconds since the kill, and each active alert's state. */
export interface AlertSample {
  readonly t: number;
  readonly alerts: Record<string, 'pending' | 'firing'>;
}

export interface LiveAlertsRecord {
  readonly killed: string;
  /** Seconds from the kill to the restart. */
  readonly restartedAt: number;
  readonly samples: AlertSample[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function activeAlerts(): Promise<Record<string, 'pending' | 'firing'> | undefined> {
  try {
    const response = await fetch('http://127.0.0.1:9090/api/v1/alerts');
    const body = (await response.json()) as { data: { alerts: Array<{ labels: { alertname: string }; state: 'pending' | 'firing' }> } };
    const states: Record<string, 'pending' | 'firing'> = {};
    for (const alert of body.data.alerts) {
      const name = alert.labels.alertname;
      if (states[name] !== 'firing') states[name] = alert.state;
    }
    return states;
  } catch {
    return undefined;
  }
}

isolatedMain<LiveAlertsInput, LiveAlertsRecord>(async (input, context) => {
  const bin = join(context.workDir, 'bin');
  mkdirSync(bin);
  symlinkSync(input.binaries.restatectl, join(bin, 'restatectl'));
  const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: context.workDir };

  const local = new LocalCluster({ cluster: input.cluster, serverBinary: input.binaries.server, workDir: context.workDir });
  context.onExit(() => local.stopSync());
  await local.start(context.deadline.within(30_000));
  const address = local.nodes[0]!.address;
  const provision = await runCommand(
    'sh',
    [
      PROVISION_SCRIPT_PATH,
      ...provisionScriptArgs({ address, deadlineSeconds: 150, intervalSeconds: 1, replicas: input.cluster.replicas }),
    ],
    { env, timeoutMs: 160_000 },
  );
  if (provision.code !== 0) throw new Error(`provisioning failed: ${provision.stdout}${provision.stderr}`);
  context.progress('cluster provisioned and serving');

  // Prometheus: static targets with the labels the Prometheus Operator's relabelling gives a PodMonitor's targets
  const promDir = join(context.workDir, 'prometheus');
  mkdirSync(join(promDir, 'data'), { recursive: true });
  writeFileSync(join(promDir, 'rules.yaml'), stringify({ groups: input.groups }));
  const scrape = `${input.scrapeSeconds}s`;
  writeFileSync(
    join(promDir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: scrape, evaluation_interval: scrape },
      rule_files: ['rules.yaml'],
      scrape_configs: [
        {
          job_name: input.job,
          metrics_path: '/metrics',
          static_configs: local.nodes.map((node) => ({
            targets: [`${node.ip}:5122`],
            labels: { ...input.targetLabels, pod: node.name, endpoint: 'metrics' },
          })),
        },
      ],
    }),
  );
  const prometheus = new ManagedProcess({
    label: 'prometheus',
    file: 'prometheus',
    args: [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      '--web.listen-address=127.0.0.1:9090',
    ],
    cwd: promDir,
    env: { PATH: '/usr/bin:/bin' },
    logFile: join(promDir, 'prometheus.log'),
  });
  context.onExit(() => prometheus.stopSync());

  const taken: Array<{ at: number; alerts: AlertSample['alerts'] }> = [];
  const watch = async (seconds: number) => {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until && !context.deadline.expired()) {
      const alerts = await activeAlerts();
      if (alerts) taken.push({ at: Date.now(), alerts });
      await sleep(1000);
    }
  };
  // quiet: the healthy cluster, scraped long enough for every rule's window
  await watch(input.quietSeconds);
  const victim = local.nodes[input.cluster.replicas - 1]!;
  const killedAt = Date.now();
  await local.kill(victim.ordinal);
  context.progress(`SIGKILL ${victim.name}`);
  await watch(input.downSeconds);
  const restartedAt = Date.now();
  await local.restart(victim.ordinal, context.deadline.within(30_000));
  context.progress(`restarted ${victim.name}`);
  await watch(input.afterSeconds);
  await prometheus.stop('SIGTERM', 10_000);
  await local.stop();
  const since = (at: number) => Math.round((at - killedAt) / 100) / 10;
  return { killed: victim.name, restartedAt: since(restartedAt), samples: taken.map(({ at, alerts }) => ({ t: since(at), alerts })) };
});
