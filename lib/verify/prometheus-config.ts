/**
 * What a Prometheus run by verify is configured with, derived from the target's synthesized monitoring objects:
 * the scrape job the Prometheus Operator would generate from the PodMonitor (static targets here, for the pods of
 * the model it selects), and the PrometheusRule's groups as a rule file. Pure.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const strings = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(obj(v)).map(([k, s]) => [k, String(s)]));

/** A rule group as a Prometheus rule file holds it (a PrometheusRule's `spec.groups` entry). */
export interface RuleGroup {
  readonly name: string;
  readonly rules: ReadonlyArray<{
    readonly alert: string;
    readonly expr: string;
    readonly for?: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  }>;
}

/** The `spec.groups` of the one PrometheusRule among manifests. */
export function prometheusRuleGroups(objects: ReadonlyArray<Record<string, unknown>>): RuleGroup[] {
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`expected one PrometheusRule, found ${rules.length}`);
  const groups = obj(rules[0]!.spec).groups;
  return Array.isArray(groups) ? (groups as RuleGroup[]) : [];
}

/** One `podMetricsEndpoints` entry. */
export interface PodMetricsEndpoint {
  /** The container port's name. */
  readonly port: string;
  /** @default '/metrics' */
  readonly path: string;
  readonly interval?: string;
}

/** The parts of a PodMonitor that decide what is scraped. */
export interface PodMonitorSpec {
  readonly namespace: string;
  readonly name: string;
  /** `namespaceSelector.matchNames`; empty: the PodMonitor's own namespace. */
  readonly namespaces: readonly string[];
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly endpoints: readonly PodMetricsEndpoint[];
}

/** The PodMonitor object as synthesized, read into its scrape-relevant parts. */
export function podMonitorSpec(monitor: Record<string, unknown>): PodMonitorSpec {
  const metadata = obj(monitor.metadata);
  const spec = obj(monitor.spec);
  const names = obj(spec.namespaceSelector).matchNames;
  const endpoints = Array.isArray(spec.podMetricsEndpoints) ? spec.podMetricsEndpoints.map(obj) : [];
  return {
    namespace: String(metadata.namespace ?? 'default'),
    name: String(metadata.name ?? ''),
    namespaces: Array.isArray(names) ? names.map(String) : [],
    matchLabels: strings(obj(spec.selector).matchLabels),
    endpoints: endpoints.map((e) => ({
      port: String(e.port ?? ''),
      path: typeof e.path === 'string' ? e.path : '/metrics',
      ...(typeof e.interval === 'string' ? { interval: e.interval } : {}),
    })),
  };
}

/** A pod of the model as service discovery would list it. */
export interface ScrapablePod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Where it listens (its loopback stand-in for the pod IP). */
  readonly ip?: string;
  /** Container port names to numbers. */
  readonly namedPorts?: Readonly<Record<string, number>>;
  /** The name of the container that has the ports. */
  readonly container?: string;
}

/** The pods of the model that a PodMonitor's endpoint selects: namespace, labels, and a container port of that name. */
export function selectedPods(monitor: PodMonitorSpec, pods: readonly ScrapablePod[], endpoint: PodMetricsEndpoint): ScrapablePod[] {
  const namespaces = monitor.namespaces.length > 0 ? monitor.namespaces : [monitor.namespace];
  return pods.filter(
    (p) =>
      namespaces.includes(p.namespace) &&
      Object.entries(monitor.matchLabels).every(([k, v]) => p.labels[k] === v) &&
      p.ip !== undefined &&
      p.namedPorts?.[endpoint.port] !== undefined,
  );
}

/** The prometheus.yml verify writes (the keys it uses). */
export interface PrometheusConfig {
  readonly global: { readonly scrape_interval: string; readonly scrape_timeout: string; readonly evaluation_interval: string };
  readonly rule_files?: readonly string[];
  readonly scrape_configs: ReadonlyArray<{
    readonly job_name: string;
    readonly metrics_path: string;
    readonly static_configs: ReadonlyArray<{ readonly targets: readonly string[]; readonly labels: Record<string, string> }>;
  }>;
}

export interface ScrapeOptions {
  /** Scrape and rule evaluation interval in seconds: the PodMonitor's own interval would make the run long. */
  readonly intervalSeconds: number;
  /** File name of the rule file, next to the config. */
  readonly ruleFile?: string;
}

/** The Prometheus Operator's job name for a PodMonitor's endpoint `i` (pkg/prometheus/promcfg.go). */
export function podMonitorJobName(monitor: PodMonitorSpec, i: number): string {
  return `podMonitor/${monitor.namespace}/${monitor.name}/${i}`;
}

/**
 * prometheus.yml for the model: one scrape job per PodMonitor endpoint, as the Prometheus Operator generates it
 * (pkg/prometheus/promcfg.go, generatePodMonitorConfig: job name `podMonitor/<ns>/<name>/<i>`, keep the pods whose
 * labels match the selector and whose container port has the endpoint's name, then the labels `namespace`,
 * `container`, `pod`, `job` = `<ns>/<name>` and `endpoint` = the port name; `instance` is the address). The Operator
 * discovers the pods through the Kubernetes API (kubernetes_sd_configs, role pod) and relabels; here the model's
 * pods are static targets that carry those labels already. The interval is `intervalSeconds`, not the endpoint's.
 */
export function prometheusConfig(monitor: PodMonitorSpec, pods: readonly ScrapablePod[], options: ScrapeOptions): PrometheusConfig {
  const interval = `${options.intervalSeconds}s`;
  return {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    ...(options.ruleFile ? { rule_files: [options.ruleFile] } : {}),
    scrape_configs: monitor.endpoints.map((endpoint, i) => ({
      job_name: podMonitorJobName(monitor, i),
      metrics_path: endpoint.path,
      static_configs: selectedPods(monitor, pods, endpoint).map((pod) => ({
        targets: [`${pod.ip}:${pod.namedPorts![endpoint.port]}`],
        labels: {
          namespace: pod.namespace,
          ...(pod.container ? { container: pod.container } : {}),
          pod: pod.name,
          job: `${monitor.namespace}/${monitor.name}`,
          endpoint: endpoint.port,
        },
      })),
    })),
  };
}
