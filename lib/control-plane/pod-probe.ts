/**
 * The kubelet's readiness probe of one container, as the podlet (./podlet.ts) runs it: kubernetes v1.37.2
 * `pkg/kubelet/prober/worker.go` (the first probe after `initialDelaySeconds`, then every `periodSeconds`; a result
 * counts once `successThreshold` or `failureThreshold` probes in a row agree; not ready until the first success) and
 * `pkg/probe/http/http.go` (GET to the pod's IP and the port, by number or by the container's port name; any status
 * from 200 to 399 is success; `timeoutSeconds` bounds it). Defaults from `pkg/apis/core/v1/defaults.go` (period 10,
 * timeout 1, success 1, failure 3). Only `httpGet` is probed (the operator's probe); exec, tcpSocket and gRPC probes
 * are refused.
 */
import { request } from 'node:http';
import type { Obj } from './api-client';

export interface ProbeSpec {
  readonly port: number;
  readonly path: string;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** The probe of `container` with its defaults; undefined when it has none (the container is ready once running). */
export function probeSpec(container: Obj): ProbeSpec | undefined {
  const probe = container.readinessProbe;
  if (!probe) return undefined;
  if (!probe.httpGet) throw new Error(`container ${container.name}: the podlet probes httpGet only`);
  const named = (container.ports ?? []).find((p: Obj) => p.name === probe.httpGet.port);
  const port = typeof probe.httpGet.port === 'number' ? probe.httpGet.port : (named?.containerPort ?? Number(probe.httpGet.port));
  return {
    port,
    path: probe.httpGet.path ?? '/',
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** One HTTP probe: true for a 2xx/3xx answer within the timeout. */
export function httpProbe(host: string, spec: ProbeSpec): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port: spec.port, path: spec.path, method: 'GET', timeout: spec.timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A probe worker: calls `changed` when the container's readiness changes; stop() ends it. */
export class ReadinessWorker {
  ready = false;
  private successes = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly host: string,
    private readonly spec: ProbeSpec,
    private readonly changed: () => void,
  ) {
    this.timer = setTimeout(() => this.tick(), spec.initialDelayMs);
  }

  private async tick(): Promise<void> {
    const ok = await httpProbe(this.host, this.spec);
    if (this.stopped) return;
    if (ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const before = this.ready;
    if (ok && this.successes >= this.spec.successThreshold) this.ready = true;
    if (!ok && this.failures >= this.spec.failureThreshold) this.ready = false;
    if (this.ready !== before) this.changed();
    this.timer = setTimeout(() => this.tick(), this.spec.periodMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
