/**
 * The podlet: a stand-in kubelet that runs the processes of the pods the real kube-scheduler binds to its Node. It
 * runs as a program of its own inside the control plane's network namespace (./kubelet-stand-in.ts starts it, with
 * `runPods`), registered as the Node's kubelet: it also serves that Node's endpoint (./kubelet-node.ts), and `exec`
 * runs inside the pod it names.
 *
 * Each pass (every second) it lists the pods bound to its Node, the claims and volumes (./pod-volumes.ts), the
 * Services and EndpointSlices (./pod-names.ts), and:
 * - starts a pod whose containers all run `restatedev/restate` (./pod-container.ts): a private address
 *   `10.254.1.N/32` on the namespace's loopback, a uid of its own (31000+N), a mount namespace whose /etc/hosts is
 *   its namespace's hosts file, its ConfigMap volumes written to a folder and its claims' volumes at their
 *   PersistentVolume's folder (which outlives the pod), the mount paths in the env and command mapped to those
 *   folders (the processes share this machine's root file system); each container's output to the log the node
 *   endpoint serves, the previous instance's kept beside it;
 * - probes each container's readinessProbe (./pod-probe.ts) at the pod's address;
 * - restarts an exited container per `restartPolicy` with the kubelet's back-off (first restart at once, then 10 s
 *   doubling to 300 s: kubernetes v1.37.2 `pkg/kubelet/kuberuntime/kuberuntime_manager.go` doBackOff,
 *   `pkg/kubelet/kubelet.go` backOffPeriod and MaxCrashLoopBackOff), showing `CrashLoopBackOff` while it waits;
 * - writes the pod's status as the kubelet does (`pkg/kubelet/kubelet_pods.go` generateAPIPodStatus and getPhase,
 *   `pkg/kubelet/status/generate.go`): podIP(s), hostIP(s), phase, the conditions, each container's state,
 *   lastState, restartCount, started and ready;
 * - stops a deleted pod's processes (SIGTERM, SIGKILL after its grace period) and then deletes it for good, as the
 *   status manager does (`pkg/kubelet/status/status_manager.go`); its volumes stay.
 *
 * Pods stand in for one network namespace each as follows: every pod's server binds its own address (the podlet sets
 * `RESTATE_BIND_ADDRESS`, `RESTATE_ADMIN__BIND_ADDRESS` and `RESTATE_INGRESS__BIND_ADDRESS` to it, where in a pod
 * 0.0.0.0 is the pod's own), and connections a pod's uid makes to 127.0.0.1 are DNATed to its own address (nftables
 * table `ip podlet`), so what a pod reaches on "its loopback" (e.g. restatectl's `--address http://127.0.0.1:5122`
 * in `kubectl exec`) is its own server.
 *
 * Tested live (./podlet.live.test.ts): StatefulSet pods (restartPolicy Always) and Jobs' pods (Never: Succeeded and
 * Failed); OnFailure is handled as written here but not run by a test.
 *
 * Left unproven: container images (npm's restate-server and restatectl 1.7.12 run whatever the tag; a pod of any
 * other image is not run here and left to the status stand-in), the image's file system, read-only root, user and
 * capabilities (the pod runs as its own uid, not its securityContext's), resource limits and cgroups, init and
 * sidecar containers, liveness and startup probes, env from Secrets or ConfigMaps, projected and other volume kinds,
 * a network namespace per pod and NetworkPolicies (every pod reaches every address), Services with a ClusterIP
 * (no kube-proxy), evictions, node pressure, and image pulls.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, renameSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiClient, type Obj } from './api-client';
import { logFile, serveKubeletNode, type KubeletNodeConfig, type PodSandbox } from './kubelet-node';
import { containerArgv, containerEnv, pathMapper, type Programs, runsImage } from './pod-container';
import { hostsFile } from './pod-names';
import { probeSpec, ReadinessWorker } from './pod-probe';
import { volumesPass } from './pod-volumes';

/** What ./kubelet-stand-in.ts passes (as JSON, the one argument of this program). */
export interface PodletConfig extends KubeletNodeConfig {
  readonly nodeName: string;
  readonly server: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly programs: Programs;
}

/** The pods' addresses: 10.254.1.1 … 10.254.1.250, on the namespace's loopback. */
export const POD_ADDRESS_PREFIX = '10.254.1.';
export const POD_UID_BASE = 31000;
const PASS_MS = 1000;
const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const log = (line: string) => process.stdout.write(`${now()} ${line}\n`);

interface ContainerRun {
  readonly spec: Obj;
  child?: ChildProcess;
  state: Obj;
  lastState: Obj;
  restartCount: number;
  started: boolean;
  probe?: ReadinessWorker;
  backoffMs: number;
  restartTimer?: NodeJS.Timeout;
}

interface PodRun {
  pod: Obj;
  readonly key: string;
  readonly slot: number;
  readonly ip: string;
  readonly uid: number;
  readonly dir: string;
  readonly holder: ChildProcess;
  readonly env: Map<string, Record<string, string>>;
  readonly containers: ContainerRun[];
  startTime: string;
  stopping: boolean;
  written: string;
  conditions: Map<string, Obj>;
}

export class Podlet {
  private readonly api: ApiClient;
  private readonly pods = new Map<string, PodRun>();
  private readonly hostsDir: string;
  private running = true;
  private dirty = new Set<string>();

  constructor(private readonly config: PodletConfig) {
    this.api = new ApiClient(config.server, { ca: config.ca, cert: config.adminCert, key: config.adminKey });
    this.hostsDir = join(config.stateDir, 'hosts');
    mkdirSync(this.hostsDir, { recursive: true, mode: 0o755 });
    mkdirSync(join(config.stateDir, 'volumes'), { recursive: true, mode: 0o711 });
    mkdirSync(join(config.stateDir, 'pods'), { recursive: true, mode: 0o711 });
  }

  /** The pod `exec` runs in (its mount namespace, uid and env), for the node endpoint. */
  sandbox(namespace: string, name: string, container: string): PodSandbox | undefined {
    const run = this.pods.get(`${namespace}/${name}`);
    const env = run?.env.get(container);
    if (!run || !env || run.stopping) return undefined;
    return { prefix: this.enter(run), env, cwd: run.dir };
  }

  private enter(run: PodRun): string[] {
    return [
      'nsenter',
      '-t',
      String(run.holder.pid),
      '-m',
      '--',
      'setpriv',
      `--reuid=${run.uid}`,
      `--regid=${run.uid}`,
      '--clear-groups',
      '--',
    ];
  }

  async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.pass();
      } catch (error) {
        log(`pass failed: ${(error as Error).message}`);
      }
      await new Promise((done) => setTimeout(done, PASS_MS));
    }
  }

  private async pass(): Promise<void> {
    await volumesPass(this.api, join(this.config.stateDir, 'volumes'));
    const services: Obj[] = (await this.api.get('/api/v1/services')).items;
    const slices: Obj[] = (await this.api.get('/apis/discovery.k8s.io/v1/endpointslices')).items;
    const field = encodeURIComponent(`spec.nodeName=${this.config.nodeName}`);
    const pods: Obj[] = (await this.api.get(`/api/v1/pods?fieldSelector=${field}`)).items;
    const namespaces = new Set([...pods.map((p) => p.metadata.namespace), ...[...this.pods.values()].map((r) => r.pod.metadata.namespace)]);
    for (const ns of namespaces) this.writeHosts(ns, hostsFile(ns, services, slices));
    const seen = new Set<string>();
    for (const pod of pods) {
      if (!pod.spec.containers.every((c: Obj) => runsImage(c.image))) continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      seen.add(key);
      let run = this.pods.get(key);
      if (run && run.pod.metadata.uid !== pod.metadata.uid) {
        await this.stopPod(run, 0);
        run = undefined;
      }
      if (pod.metadata.deletionTimestamp) {
        if (run) await this.stopPod(run, (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000);
        await this.api.call('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid },
        });
        continue;
      }
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
        if (!run) continue;
      }
      if (!run) {
        // A pod the podlet cannot start (a volume kind it does not mount) is left Pending, the others go on.
        const started = await this.startPod(pod).catch((error: Error) => void log(`cannot start ${key}: ${error.message}`));
        if (!started) continue;
        run = started;
      }
      run.pod = pod;
      await this.writeStatus(run);
    }
    for (const [key, run] of this.pods) if (!seen.has(key)) await this.stopPod(run, 0);
    for (const key of this.dirty) {
      const run = this.pods.get(key);
      if (run) await this.writeStatus(run);
    }
    this.dirty.clear();
  }

  private writeHosts(namespace: string, text: string): void {
    const file = join(this.hostsDir, namespace);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
    // In place, never renamed: each pod's /etc/hosts is a bind mount of this file's inode.
    writeFileSync(file, text, { mode: 0o644 });
  }

  /** Starts a pod when its volumes are there; undefined to try again next pass. */
  private async startPod(pod: Obj): Promise<PodRun | undefined> {
    const { namespace, name } = pod.metadata;
    const key = `${namespace}/${name}`;
    const mounts = new Map<string, string>();
    const dir = join(this.config.stateDir, 'pods', `${namespace}.${name}.${pod.metadata.uid.slice(0, 8)}`);
    const used = new Set([...this.pods.values()].map((r) => r.slot));
    let slot = 1;
    while (used.has(slot)) slot++;
    const uid = POD_UID_BASE + slot;
    const volumeDirs = new Map<string, string>();
    for (const volume of pod.spec.volumes ?? []) {
      if (volume.persistentVolumeClaim) {
        const claim = await this.api.call(
          'GET',
          `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${volume.persistentVolumeClaim.claimName}`,
        );
        if (claim.status !== 200 || claim.body.status?.phase !== 'Bound') return undefined;
        const pv = await this.api.get(`/api/v1/persistentvolumes/${claim.body.spec.volumeName}`);
        if (!pv.spec.hostPath) throw new Error(`${key}: volume ${pv.metadata.name} is not one the podlet made`);
        volumeDirs.set(volume.name, pv.spec.hostPath.path);
      } else if (volume.configMap) {
        const cm = await this.api.call('GET', `/api/v1/namespaces/${namespace}/configmaps/${volume.configMap.name}`);
        if (cm.status !== 200) return undefined;
        const local = join(dir, 'volumes', volume.name);
        mkdirSync(local, { recursive: true });
        for (const [file, text] of Object.entries((cm.body.data ?? {}) as Record<string, string>))
          writeFileSync(join(local, file), text, { mode: 0o644 });
        volumeDirs.set(volume.name, local);
      } else if (volume.emptyDir) {
        const local = join(dir, 'volumes', volume.name);
        mkdirSync(local, { recursive: true });
        volumeDirs.set(volume.name, local);
      } else throw new Error(`${key}: volume ${volume.name}: the podlet mounts claims, ConfigMaps and emptyDirs only`);
    }
    mkdirSync(dir, { recursive: true });
    for (const local of [dir, ...volumeDirs.values()]) chownSync(local, uid, uid);
    const ip = `${POD_ADDRESS_PREFIX}${slot}`;
    spawnSync('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
    const hosts = join(this.hostsDir, namespace);
    if (!existsSync(hosts)) writeFileSync(hosts, '127.0.0.1\tlocalhost\n', { mode: 0o644 });
    const holder = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'setpriv',
        '--pdeathsig',
        'KILL',
        '--',
        '/bin/sh',
        '-c',
        'mount --bind "$0" /etc/hosts && exec sleep infinity',
        hosts,
      ],
      { stdio: 'ignore' },
    );
    const run: PodRun = {
      pod,
      key,
      slot,
      ip,
      uid,
      dir,
      holder,
      env: new Map(),
      containers: [],
      startTime: now(),
      stopping: false,
      written: '',
      conditions: new Map(),
    };
    // The mount namespace is ready once the holder's /etc/hosts is the bind mount; if it does not come up, nothing of
    // the pod stays and the next pass tries again.
    const deadline = Date.now() + 60_000;
    while (!this.hostsMounted(holder.pid!, hosts)) {
      if (Date.now() > deadline || holder.exitCode !== null) {
        holder.kill('SIGKILL');
        spawnSync('ip', ['addr', 'del', `${ip}/32`, 'dev', 'lo']);
        throw new Error(`${key}: the pod's mount namespace did not come up within 60 s`);
      }
      await new Promise((done) => setTimeout(done, 50));
    }
    this.pods.set(key, run);
    this.syncNat();
    for (const spec of pod.spec.containers as Obj[]) {
      mounts.clear();
      for (const m of spec.volumeMounts ?? []) if (volumeDirs.has(m.name)) mounts.set(m.mountPath, volumeDirs.get(m.name)!);
      const map = pathMapper(mounts);
      let env: Map<string, string>;
      const container: ContainerRun = {
        spec,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        restartCount: 0,
        started: false,
        backoffMs: 0,
      };
      run.containers.push(container);
      try {
        env = containerEnv(pod, spec, ip);
      } catch (error) {
        container.state = { waiting: { reason: 'CreateContainerConfigError', message: (error as Error).message } };
        continue;
      }
      const bins = [...new Set(Object.values(this.config.programs).map((p) => dirname(p)))];
      const full: Record<string, string> = {
        PATH: [...bins, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
        HOSTNAME: pod.spec.hostname ?? name,
        HOME: join(dir),
      };
      for (const [k, v] of env) full[k] = map(v);
      // In a pod 0.0.0.0 is the pod's own address; here every pod shares one namespace (see the header).
      Object.assign(full, {
        RESTATE_BIND_ADDRESS: `${ip}:5122`,
        RESTATE_ADMIN__BIND_ADDRESS: `${ip}:9070`,
        RESTATE_INGRESS__BIND_ADDRESS: `${ip}:8080`,
      });
      run.env.set(spec.name, full);
      this.startContainer(run, container, map);
    }
    log(`started ${key} at ${ip} as uid ${uid}`);
    return run;
  }

  private hostsMounted(pid: number, hosts: string): boolean {
    try {
      return readFileSync(`/proc/${pid}/root/etc/hosts`, 'utf8') === readFileSync(hosts, 'utf8');
    } catch {
      return false;
    }
  }

  private startContainer(run: PodRun, container: ContainerRun, map: (value: string) => string): void {
    const { namespace, name } = run.pod.metadata;
    const env = run.env.get(container.spec.name)!;
    let argv: string[];
    try {
      const vars = new Map(Object.entries(env));
      argv = containerArgv(container.spec, vars, this.config.programs).map((word, i) => (i === 0 ? word : map(word)));
    } catch (error) {
      container.state = { waiting: { reason: 'CreateContainerError', message: (error as Error).message } };
      this.dirty.add(run.key);
      return;
    }
    const file = logFile(this.config.stateDir, namespace, name, container.spec.name, false);
    mkdirSync(dirname(file), { recursive: true });
    if (container.restartCount > 0 && existsSync(file))
      renameSync(file, logFile(this.config.stateDir, namespace, name, container.spec.name, true));
    const fd = openSync(file, 'a');
    const [command, ...prefix] = this.enter(run);
    const child = spawn(command, [...prefix, 'setpriv', '--pdeathsig', 'KILL', '--', ...argv], {
      env,
      cwd: run.dir,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const startedAt = now();
    container.child = child;
    container.started = true;
    container.state = { running: { startedAt } };
    const spec = probeSpec(container.spec);
    container.probe = spec ? new ReadinessWorker(run.ip, spec, () => this.markDirty(run)) : undefined;
    this.dirty.add(run.key);
    child.once('exit', (code, signal) => {
      container.probe?.stop();
      container.child = undefined;
      const exitCode = code ?? 128 + (signal ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 0) : 0);
      container.state = {
        terminated: {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt,
          finishedAt: now(),
          ...(signal ? { signal: 0 } : {}),
        },
      };
      log(`${run.key}/${container.spec.name} exited ${signal ?? code}`);
      this.markDirty(run);
      if (run.stopping || !this.running) return;
      const policy = run.pod.spec.restartPolicy ?? 'Always';
      if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) return;
      const delay = container.backoffMs;
      container.backoffMs = Math.min(BACKOFF_MAX_MS, delay === 0 ? BACKOFF_START_MS : delay * 2);
      const restart = () => {
        if (run.stopping || !this.running) return;
        container.lastState = container.state;
        container.restartCount++;
        this.startContainer(run, container, map);
      };
      if (delay === 0) return restart();
      container.lastState = container.state;
      container.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${delay / 1000}s restarting failed container=${container.spec.name} pod=${name}`,
        },
      };
      container.restartTimer = setTimeout(restart, delay);
    });
  }

  private markDirty(run: PodRun): void {
    this.dirty.add(run.key);
    void this.writeStatus(run).catch((error: Error) => log(`status of ${run.key}: ${error.message}`));
  }

  private async stopPod(run: PodRun, graceMs: number): Promise<void> {
    run.stopping = true;
    const alive = run.containers.filter((c) => c.child);
    for (const c of run.containers) {
      if (c.restartTimer) clearTimeout(c.restartTimer);
      c.probe?.stop();
    }
    await Promise.all(
      alive.map(
        (c) =>
          new Promise<void>((done) => {
            const child = c.child!;
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), Math.max(graceMs, 0));
          }),
      ),
    );
    run.holder.kill('SIGKILL');
    spawnSync('ip', ['addr', 'del', `${run.ip}/32`, 'dev', 'lo']);
    this.pods.delete(run.key);
    this.syncNat();
    rmSync(run.dir, { recursive: true, force: true });
    log(`stopped ${run.key}`);
  }

  /** The table that DNATs each pod uid's connections to 127.0.0.1 to that pod's address. */
  private syncNat(): void {
    const rules = [...this.pods.values()].map((r) => `    meta skuid ${r.uid} ip daddr 127.0.0.1 dnat to ${r.ip}`);
    const text = [
      'table ip podlet {}',
      'delete table ip podlet',
      'table ip podlet {',
      '  chain output {',
      '    type nat hook output priority -100;',
      ...rules,
      '  }',
      '}',
      '',
    ].join('\n');
    const result = spawnSync('nft', ['-f', '-'], { input: text, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`nft: ${result.stderr}`);
  }

  /** The status the kubelet would write now; written when it differs from the last written. */
  private async writeStatus(run: PodRun): Promise<void> {
    const { pod } = run;
    if (run.stopping) return;
    const statuses = run.containers.map((c) => ({
      name: c.spec.name,
      image: c.spec.image,
      imageID: '',
      ...(c.child ? { containerID: `podlet://${c.child.pid}` } : {}),
      ready: c.state.running !== undefined && (c.probe ? c.probe.ready : true),
      started: c.state.running !== undefined,
      restartCount: c.restartCount,
      state: c.state,
      lastState: c.lastState,
    }));
    const policy = pod.spec.restartPolicy ?? 'Always';
    const terminated = statuses.filter((s) => s.state.terminated);
    // getPhase: Pending until every container started once; with restartPolicy Never (OnFailure) every container
    // terminated (with exit 0) ends the pod, Failed when one exited non-zero under Never.
    let phase = 'Pending';
    if (statuses.length > 0 && terminated.length === statuses.length && policy === 'Never')
      phase = terminated.some((s) => s.state.terminated.exitCode !== 0) ? 'Failed' : 'Succeeded';
    else if (
      statuses.length > 0 &&
      terminated.length === statuses.length &&
      policy === 'OnFailure' &&
      terminated.every((s) => s.state.terminated.exitCode === 0)
    )
      phase = 'Succeeded';
    else if (run.containers.every((c) => c.started)) phase = 'Running';
    const ready = phase === 'Running' && statuses.every((s) => s.ready);
    const condition = (type: string, status: boolean, reason?: string) => {
      const value = status ? 'True' : 'False';
      const previous = run.conditions.get(type);
      const next =
        previous?.status === value
          ? previous
          : { type, status: value, lastTransitionTime: now(), ...(reason && !status ? { reason } : {}) };
      run.conditions.set(type, next);
      return next;
    };
    const containersReady = condition('ContainersReady', ready, phase === 'Running' ? 'ContainersNotReady' : 'PodCompleted');
    const status = {
      phase,
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        { ...condition('Ready', ready, containersReady.reason) },
        containersReady,
        condition('PodScheduled', true),
      ],
      hostIP: this.config.host,
      hostIPs: [{ ip: this.config.host }],
      podIP: run.ip,
      podIPs: [{ ip: run.ip }],
      startTime: run.startTime,
      containerStatuses: statuses,
    };
    const text = JSON.stringify(status);
    if (text === run.written && pod.status?.podIP === run.ip) return;
    const answer = await this.api.call(
      'PATCH',
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
      { metadata: { uid: pod.metadata.uid }, status },
      'application/merge-patch+json',
    );
    if (answer.status === 200) run.written = text;
    else if (answer.status !== 404 && answer.status !== 409)
      log(`status of ${run.key}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const run of [...this.pods.values()]) await this.stopPod(run, 0);
    this.api.close();
  }
}

if (require.main === module) {
  const config = JSON.parse(process.argv[2]) as PodletConfig;
  const podlet = new Podlet(config);
  serveKubeletNode(config, { sandbox: (namespace, pod, container) => podlet.sandbox(namespace, pod, container) });
  void podlet.loop();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void podlet.stop().then(() => process.exit(0)));
}
