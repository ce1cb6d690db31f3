import { httpCall } from './http-call';
import { nftApply } from './nft';
import { ADMIN_PORT, FABRIC_PORT, INGRESS_PORT } from '../target-folder/operator-names';
import { readinessProbe } from '../operator-part/stateful-set';
import type { OperatorVersion } from '../values';

/** The ClusterIP of Service `restate` in the model (kube-proxy's virtual IP; nothing listens on it). */
export const RESTATE_SERVICE_IP = '127.0.100.1';

const PROBE_1_7_4 = readinessProbe('1.7.4');

/**
 * The readiness probe as operator 1.7.4 sets it (lib/operator-part/stateful-set.ts, `compute.rs:375-382` at v1.7.4):
 * HTTP GET `/health` on 9070, no initial delay, everything else Kubernetes' defaults (period 10 s, timeout 1 s,
 * success 1, failure 3).
 */
export const READINESS = {
  path: PROBE_1_7_4.httpGet.path as string,
  port: PROBE_1_7_4.httpGet.port as number,
  initialDelayMs: 0,
  periodMs: 10_000,
  timeoutMs: 1000,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

export type Readiness = { readonly [K in keyof typeof READINESS]: (typeof READINESS)[K] extends string ? string : number };

/** The probe of operator `version`, as the operator's part writes it: 2.8.1 waits 30 s before the first probe. */
export function readinessOf(version: OperatorVersion): Readiness {
  return { ...READINESS, initialDelayMs: (readinessProbe(version).initialDelaySeconds ?? 0) * 1000 };
}

export interface Endpoint {
  readonly name: string;
  readonly ip: string;
  /** Whether the container runs (the kubelet sees a container exit at once and marks the pod not ready). */
  running(): boolean;
}

interface ProbeState {
  ready: boolean;
  failures: number;
  successes: number;
  nextAt: number;
  /** Container start this state belongs to. */
  generation: number;
}

/**
 * Service `restate` (ClusterIP; 8080, 9070, 5122) as kube-proxy makes it: connections to its virtual IP are
 * DNATed (nftables, `numgen random`, like kube-proxy's nftables mode) to the pods that are Ready, and only
 * those; readiness is probed as the kubelet does with the operator's probe. The headless `restate-cluster`
 * needs no proxy: its DNS answer lists every pod, ready or not (`publishNotReadyAddresses`).
 */
export class ClusterServiceModel {
  private readonly state = new Map<string, ProbeState>();
  private timer?: NodeJS.Timeout;
  private applied = '';
  private readonly history: { at: number; ready: string[] }[] = [];

  constructor(
    private readonly endpoints: readonly Endpoint[],
    /** The probe; tests shorten its period. @default READINESS */
    private readonly readiness: Readiness = READINESS,
  ) {
    nftApply(
      [
        'table ip verify_services {',
        '  chain output {',
        '    type nat hook output priority -100; policy accept;',
        `    ip daddr ${RESTATE_SERVICE_IP} tcp dport { ${INGRESS_PORT}, ${ADMIN_PORT}, ${FABRIC_PORT} } jump svc_restate`,
        '  }',
        '  chain svc_restate {',
        '  }',
        '}',
      ].join('\n'),
    );
    for (const e of endpoints) this.state.set(e.name, { ready: false, failures: 0, successes: 0, nextAt: 0, generation: 0 });
  }

  /** Tells the model that a pod's container started (again): probing restarts, the pod is not ready until it passes. */
  containerStarted(name: string): void {
    const s = this.state.get(name)!;
    this.state.set(name, {
      ready: false,
      failures: 0,
      successes: 0,
      nextAt: Date.now() + this.readiness.initialDelayMs,
      generation: s.generation + 1,
    });
    this.sync();
  }

  /**
   * Tells the model that a pod is being deleted (the kubelet sends SIGTERM): its endpoint turns not ready at
   * once (EndpointSlice `terminating`), and it is not probed again until its container starts again.
   */
  containerStopping(name: string): void {
    const s = this.state.get(name)!;
    this.state.set(name, { ready: false, failures: 0, successes: 0, nextAt: Number.POSITIVE_INFINITY, generation: s.generation + 1 });
    this.sync();
  }

  /** Names of the pods Service `restate` routes to now. */
  ready(): string[] {
    return this.endpoints.filter((e) => this.state.get(e.name)!.ready).map((e) => e.name);
  }

  /** Every change of the ready set, with its time: for the report. */
  changes(): readonly { at: number; ready: string[] }[] {
    return this.history;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    for (const e of this.endpoints) {
      const s = this.state.get(e.name)!;
      if (!e.running()) {
        s.ready = false;
        continue;
      }
      if (now < s.nextAt) continue;
      s.nextAt = now + this.readiness.periodMs;
      const generation = s.generation;
      void probe(e.ip, this.readiness).then((ok) => {
        const current = this.state.get(e.name)!;
        if (current.generation !== generation) return;
        if (ok) {
          current.failures = 0;
          current.successes++;
          if (current.successes >= this.readiness.successThreshold) current.ready = true;
        } else {
          current.successes = 0;
          current.failures++;
          if (current.failures >= this.readiness.failureThreshold) current.ready = false;
        }
        this.sync();
      });
    }
    this.sync();
  }

  /** Points the Service's DNAT rule at the ready pods (no rule when none is ready: connections are refused). */
  private sync(): void {
    const ips = this.endpoints.filter((e) => this.state.get(e.name)!.ready && e.running()).map((e) => e.ip);
    const key = ips.join(',');
    if (key === this.applied) return;
    this.applied = key;
    this.history.push({ at: Date.now(), ready: this.ready() });
    const rule =
      ips.length === 0
        ? ''
        : ips.length === 1
          ? `add rule ip verify_services svc_restate dnat to ${ips[0]}\n`
          : `add rule ip verify_services svc_restate dnat to numgen random mod ${ips.length} map { ${ips.map((ip, i) => `${i} : ${ip}`).join(', ')} }\n`;
    nftApply(`flush chain ip verify_services svc_restate\n${rule}`);
  }
}

async function probe(ip: string, readiness: Readiness): Promise<boolean> {
  try {
    const res = await httpCall({ url: `http://${ip}:${readiness.port}${readiness.path}`, timeoutMs: readiness.timeoutMs });
    return res.status >= 200 && res.status < 400;
  } catch {
    return false;
  }
}
