import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Deadline, pollUntil } from './deadline';
import { VerifyError } from './errors';
import { httpCall } from './http-call';
import { ManagedProcess } from './managed-process';
import { PROMETHEUS_PORT } from './model';
import type { EnforcedPod } from './policy-nft';
import type { PodView } from './pod-view';
import { podHome } from './pods';
import { type PodMonitorSpec, prometheusConfig, type RuleGroup, type ScrapablePod } from './prometheus-config';

/** Scrape and evaluation interval of verify's Prometheus: a few seconds, so that a check waits for seconds, not minutes. */
export const PROMETHEUS_INTERVAL_SECONDS = 2;

/** The state of an active alert in Prometheus (inactive ones are not listed). */
export type AlertState = 'pending' | 'firing';

/** One target's `up` sample and, when down, the scrape error Prometheus reports for it. */
export interface TargetHealth {
  readonly pod: string;
  readonly up?: number;
  readonly lastError?: string;
}

/** The monitoring objects a target ships: what the Prometheus pod runs with. */
export interface TargetMonitoring {
  readonly podMonitor: PodMonitorSpec;
  /** The PrometheusRule's groups; empty when the target ships none. */
  readonly ruleGroups: readonly RuleGroup[];
}

/** Whether Debian's `prometheus` is on PATH, and its version line; undefined when it is not. */
export function prometheusVersion(): string | undefined {
  const run = spawnSync('prometheus', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (run.error || run.status !== 0) return undefined;
  return `${run.stdout}${run.stderr}`.split('\n')[0]!.trim();
}

/**
 * The real Prometheus (Debian's `prometheus` package) as the model's Prometheus pod: it runs as the pod's uid, so
 * the NetworkPolicy rules treat its scrapes as they treat that pod's connections, with the pod's DNS view, its
 * own data folder, on the pod's loopback address. It scrapes the pods the target's PodMonitor selects
 * (prometheus-config.ts) and evaluates the target's PrometheusRule. Verify reads its HTTP API as uid 0 (the
 * harness, as `kubectl port-forward` would).
 */
export class PrometheusPod {
  private process?: ManagedProcess;
  public readonly dir: string;
  public readonly url: string;
  public readonly jobs: readonly string[];
  public readonly targets: number;

  constructor(
    public readonly pod: EnforcedPod,
    private readonly monitoring: TargetMonitoring,
    scraped: readonly ScrapablePod[],
    private readonly view: PodView,
    workDir: string,
  ) {
    if (pod.ip === undefined) throw new VerifyError(`pod ${pod.namespace}/${pod.name} has no address to serve Prometheus on`);
    this.url = `http://${pod.ip}:${PROMETHEUS_PORT}`;
    this.dir = join(podHome(workDir, pod), 'prometheus');
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const config = prometheusConfig(monitoring.podMonitor, scraped, {
      intervalSeconds: PROMETHEUS_INTERVAL_SECONDS,
      ...(monitoring.ruleGroups.length > 0 ? { ruleFile: 'rules.yaml' } : {}),
    });
    const jobs = config.scrape_configs;
    this.jobs = jobs.map((j) => j.job_name);
    this.targets = jobs.reduce((n, j) => n + j.static_configs.length, 0);
    writeFileSync(join(this.dir, 'prometheus.yml'), stringify(config));
    writeFileSync(join(this.dir, 'rules.yaml'), stringify({ groups: monitoring.ruleGroups }));
    for (const dir of [this.dir, join(this.dir, 'data')]) chownSync(dir, pod.uid, pod.uid);
  }

  /** The alert names the rule file holds. */
  alertNames(): string[] {
    return this.monitoring.ruleGroups.flatMap((g) => g.rules.map((r) => r.alert));
  }

  /** The `for:` of an alert in the rule file. */
  ruleFor(alert: string): string | undefined {
    return this.monitoring.ruleGroups.flatMap((g) => g.rules).find((r) => r.alert === alert)?.for;
  }

  /** Starts it and waits until its API answers ready (`/-/ready`). */
  async start(deadline: Deadline): Promise<void> {
    const command = this.view.command(
      'prometheus',
      [
        `--config.file=${join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=${this.pod.ip}:${PROMETHEUS_PORT}`,
        '--storage.tsdb.retention.time=1d',
      ],
      this.pod.uid,
    );
    this.process = new ManagedProcess({
      label: 'prometheus',
      file: command.file,
      args: command.args,
      cwd: this.dir,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: this.dir },
      logFile: join(this.dir, 'prometheus.log'),
    });
    const proc = this.process;
    await pollUntil(`Prometheus answers ready on ${this.url}`, deadline, 200, async () => {
      if (!proc.running()) {
        const log = readFileSync(proc.props.logFile, 'utf8').trim().split('\n').slice(-5).join('\n      ');
        throw new VerifyError(`prometheus exited (${proc.exit?.signal ?? proc.exit?.code}); its log ends:\n      ${log}`);
      }
      const r = await httpCall({ url: `${this.url}/-/ready`, timeoutMs: 1000 });
      return r.status === 200 ? { done: true, value: undefined } : { done: false, reason: `/-/ready answers ${r.status}` };
    });
  }

  private async api<T>(path: string): Promise<T> {
    const r = await httpCall({ url: `${this.url}${path}`, timeoutMs: 3000 });
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    const body = JSON.parse(r.body) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? body.status}`);
    return body.data;
  }

  /** `up` of every target of its jobs, by pod, with the scrape error of the ones that are down. */
  async targetHealth(): Promise<TargetHealth[]> {
    const query = encodeURIComponent(`up{job="${this.monitoring.podMonitor.namespace}/${this.monitoring.podMonitor.name}"}`);
    const up = await this.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
      `/api/v1/query?query=${query}`,
    );
    const targets = await this.api<{ activeTargets: Array<{ labels: Record<string, string>; lastError: string }> }>(
      '/api/v1/targets?state=active',
    );
    const errors = new Map(targets.activeTargets.map((t) => [t.labels.pod, t.lastError]));
    return up.result
      .map((s) => ({ pod: s.metric.pod ?? s.metric.instance, up: Number(s.value[1]), lastError: errors.get(s.metric.pod) || undefined }))
      .sort((a, b) => a.pod.localeCompare(b.pod));
  }

  /** The active alerts by name (firing wins over pending when one name has both). */
  async alerts(): Promise<Record<string, AlertState>> {
    const data = await this.api<{ alerts: Array<{ labels: { alertname: string }; state: AlertState }> }>('/api/v1/alerts');
    const states: Record<string, AlertState> = {};
    for (const a of data.alerts) if (states[a.labels.alertname] !== 'firing') states[a.labels.alertname] = a.state;
    return states;
  }

  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM', 5000);
  }

  stopSync(): void {
    this.process?.stopSync();
  }
}
