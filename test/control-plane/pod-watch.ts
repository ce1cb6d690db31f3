/**
 * What a StatefulSet's rolling update looks like through the API, for the podlet's day-two tests: the pods' changes as
 * `kubectl get pods --watch` reports them (the real kubectl, inside the control plane's namespace), and what they say
 * of the roll: which pods were replaced in which order, and the most pods unhealthy at once.
 */
import { spawn } from 'node:child_process';
import type { ControlPlane } from '../../lib/control-plane/harness';
import type { Obj } from './target-cluster';

/** A pod as one event of kubectl's watch shows it. */
export interface PodEvent {
  readonly type: string;
  readonly name: string;
  readonly uid: string;
  readonly revision: string;
  /** Ready, and neither terminating nor deleted: what the StatefulSet controller counts as healthy. */
  readonly healthy: boolean;
}

/** The pods of `namespace` as `kubectl get pods --watch` reports each change, from the current list on, until stop(). */
export function watchPods(cp: ControlPlane, namespace: string): { events: PodEvent[]; stop: () => void } {
  const [command, ...prefix] = cp.enter;
  const args = ['--kubeconfig', cp.kubeconfig, '-n', namespace, 'get', 'pods', '--watch', '--output-watch-events', '-o', 'json'];
  const child = spawn(command, [...prefix, cp.binaries.paths.kubectl, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const events: PodEvent[] = [];
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    // each event is one JSON object on a line of its own
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
      const line = text.slice(0, end).trim();
      text = text.slice(end + 1);
      if (!line) continue;
      const { type, object: pod } = JSON.parse(line);
      const ready = (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
      events.push({
        type,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        revision: pod.metadata.labels?.['controller-revision-hash'] ?? '',
        healthy: type !== 'DELETED' && ready && !pod.metadata.deletionTimestamp,
      });
    }
  });
  return { events, stop: () => void child.kill('SIGTERM') };
}

/** The roll the events show for `pods` (their uids before it): the pods replaced in order, and the most unhealthy at once. */
export function rollOf(
  events: readonly PodEvent[],
  uids: ReadonlyMap<string, string>,
): { order: string[]; mostUnhealthy: number; down: string[] } {
  const ours = events.filter((e) => uids.has(e.name));
  const order = [...new Set(ours.filter((e) => e.uid !== uids.get(e.name)).map((e) => e.name))];
  const healthy = new Map([...uids.keys()].map((p) => [p, true]));
  const down = new Set<string>();
  let mostUnhealthy = 0;
  for (const event of ours) {
    healthy.set(event.name, event.healthy);
    if (!event.healthy) down.add(event.name);
    mostUnhealthy = Math.max(mostUnhealthy, [...healthy.values()].filter((h) => !h).length);
  }
  return { order, mostUnhealthy, down: [...down].sort() };
}

/** `restatectl sql --json QUERY` in pod `pod` of `namespace` through the real `kubectl exec`: the rows. */
export async function podSql(cp: ControlPlane, namespace: string, pod: string, query: string): Promise<Obj[]> {
  const args = ['-n', namespace, 'exec', pod, '--', 'restatectl', 'sql', '--json', query];
  const said = (await cp.kubectl(args, { timeoutMs: 60_000 })).stdout;
  return JSON.parse(said.slice(said.indexOf('[')));
}

/** Each node's name and generational id (`N2:3`) as the cluster lists them, asked in `pod`: the id lives on the node's volume. */
export async function nodeIds(cp: ControlPlane, namespace: string, pod = 'restate-0'): Promise<Map<string, string>> {
  return new Map((await podSql(cp, namespace, pod, 'SELECT name, gen_node_id FROM nodes')).map((n) => [n.name, n.gen_node_id]));
}
