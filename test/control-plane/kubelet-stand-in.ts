/**
 * Stand-in for the kubelet: the pod status it would write, written through the API with no container behind it.
 *
 * Derived from kubernetes v1.37.2 (the pin of ./go.mod): `pkg/kubelet/kubelet_pods.go` (generateAPIPodStatus,
 * getPhase: a pod whose containers all run is Running; a pod whose containers all exited 0 with restartPolicy
 * Never/OnFailure is Succeeded), `pkg/kubelet/status/generate.go` (the Initialized, ContainersReady and Ready
 * conditions) and `pkg/kubelet/status/status_manager.go` (the kubelet writes `pods/<name>/status`).
 *
 * A pod being deleted is deleted for good once its grace period is asked for, as the kubelet does once the containers
 * stopped (status_manager.go, canBeDeleted then a delete with grace period 0). What it writes, per other pod: a Job's pod Succeeded (every container terminated, exit 0) when
 * `completeJobs`, else left Pending; any other pod Running with every container running, ready (when `ready` says
 * so for that pod) and restartCount 0, or, when `crashLooping` says so, not ready, its container waiting in
 * CrashLoopBackOff after 3 restarts.
 *
 * Left unproven (nothing runs): images pulled, probes (Ready is written, not probed), volumes mounted (the pods'
 * claims stay Pending; no node is bound), the Secret a container's env reads, restarts and crash loops, logs and
 * exec (the steps that use `kubectl exec` or `kubectl logs` stay on the recording kubectl, test/fixtures/kubectl).
 */
import type { ControlPlane } from './harness';
import type { Obj } from './target-cluster';

export interface KubeletStandInOptions {
  /** Whether a Job's pods succeed. @default true */
  completeJobs?: boolean;
  /** Whether a pod turns Ready once Running. @default every pod */
  ready?: (pod: Obj) => boolean;
  /** Pods whose container keeps exiting: not Ready, waiting in CrashLoopBackOff, restartCount 3. @default none */
  crashLooping?: (pod: Obj) => boolean;
}

const owner = (pod: Obj): string | undefined => pod.metadata.ownerReferences?.find((o: Obj) => o.controller)?.kind;

/** The status the kubelet would write for `pod` now; undefined to leave it as it is. */
export function kubeletStatus(pod: Obj, options: KubeletStandInOptions, now: string): Obj | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const containers: Obj[] = pod.spec.containers;
  const condition = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
  if (owner(pod) === 'Job') {
    if (options.completeJobs === false) return undefined;
    return {
      phase: 'Succeeded',
      conditions: [
        condition('PodScheduled', true),
        condition('Initialized', true),
        condition('ContainersReady', false),
        condition('Ready', false),
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now } },
      })),
      startTime: now,
    };
  }
  const crashing = options.crashLooping?.(pod) ?? false;
  const ready = !crashing && (options.ready ? options.ready(pod) : true);
  const wasReady = pod.status?.conditions?.find((c: Obj) => c.type === 'Ready')?.status === 'True';
  const wasCrashing = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff';
  if (phase === 'Running' && wasReady === ready && wasCrashing === crashing) return undefined;
  return {
    phase: 'Running',
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', true),
      condition('ContainersReady', ready),
      condition('Ready', ready),
    ],
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready,
      restartCount: crashing ? 3 : 0,
      started: !crashing,
      // kubelet_pods.go: a container waiting to be restarted after it exited, with the reason of the back-off
      state: crashing
        ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } }
        : { running: { startedAt: now } },
      ...(crashing ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } } } : {}),
    })),
    startTime: pod.status?.startTime ?? now,
  };
}

/** One pass of the kubelet stand-in over every pod of the cluster. */
export async function kubeletPass(cp: ControlPlane, options: KubeletStandInOptions): Promise<void> {
  const pods: Obj[] = JSON.parse((await cp.kubectl(['get', 'pods', '-A', '-o', 'json'])).stdout).items;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) {
      const { name, namespace } = pod.metadata;
      await cp.kubectl(['-n', namespace, 'delete', 'pod', name, '--grace-period=0', '--force', '--wait=false'], { check: false });
      continue;
    }
    const status = kubeletStatus(pod, options, now);
    if (!status) continue;
    await cp.kubectl(
      [
        '-n',
        pod.metadata.namespace,
        'patch',
        'pod',
        pod.metadata.name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status }),
      ],
      { check: false },
    );
  }
}
