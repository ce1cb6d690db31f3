import type { ClusterModel } from './model';
import { ADMIN_PORT, FABRIC_PORT, INGRESS_PORT } from '../target-folder/operator-names';
import { connectionAllowed } from './policy-eval';
import type { EnforcedPod } from './policy-nft';
import type { PodAgent } from './pods';
import { SERVICE_PORT } from './service-app';

/** One connection the model tries for real, and what must happen. */
export interface PolicyCheck {
  readonly from: EnforcedPod;
  readonly to: EnforcedPod;
  readonly port: number;
  /** Whether the connection must get through. */
  readonly expect: boolean;
  /** Why: a requirement of the product, or the operator's policy as derived. */
  readonly why: string;
}

export interface PolicyCheckResult extends PolicyCheck {
  readonly connected: boolean;
  readonly error?: string;
}

const name = (p: EnforcedPod): string => `${p.namespace}/${p.name}`;

/**
 * The connections worth trying in a target's model. The first kinds are requirements whatever the policies
 * say (the Job and Prometheus must reach 5122, an admitted application 8080, the operator 9070); the others
 * must come out as the operator's policies decide (an unlisted application must not get in).
 */
export function policyChecks(
  model: ClusterModel,
  /**
   * A real Prometheus scrapes 5122 as the Prometheus pod (prometheus-pod.ts): its `up` proves that requirement,
   * so no connection of the pod's agent stands for it.
   * @default false
   */
  scrapedByPrometheus = false,
): PolicyCheck[] {
  const checks: PolicyCheck[] = [];
  const derived = (from: EnforcedPod, to: EnforcedPod, port: number, what: string): PolicyCheck => {
    const allowed = connectionAllowed(model.policies, from, to, port).allowed;
    return { from, to, port, expect: allowed, why: `${what}: the policies ${allowed ? 'admit' : 'refuse'} it` };
  };
  for (const node of model.nodes) {
    if (model.job)
      checks.push({
        from: model.job,
        to: node,
        port: FABRIC_PORT,
        expect: true,
        why: 'the provisioning Job dials every node (restatectl reads the advertised addresses)',
      });
    if (model.prometheus && !scrapedByPrometheus)
      checks.push({
        from: model.prometheus,
        to: node,
        port: FABRIC_PORT,
        expect: true,
        why: 'Prometheus scrapes /metrics on 5122 (the PodMonitor)',
      });
    if (model.admittedApp)
      checks.push({
        from: model.admittedApp,
        to: node,
        port: INGRESS_PORT,
        expect: true,
        why: 'an application networkPeers.ingress admits calls the ingress',
      });
    checks.push({ from: model.operator, to: node, port: ADMIN_PORT, expect: true, why: 'the operator reaches the admin API' });
    if (model.operatorProvisions)
      checks.push({
        from: model.operator,
        to: node,
        port: FABRIC_PORT,
        expect: true,
        why: 'the operator provisions through 5122 (spec.cluster.autoProvision)',
      });
    checks.push(derived(model.unlistedApp, node, INGRESS_PORT, 'an application no peer lists, to the ingress'));
    checks.push(derived(model.unlistedApp, node, ADMIN_PORT, 'an application no peer lists, to the admin API'));
    checks.push(derived(model.unlistedApp, node, FABRIC_PORT, 'an application no peer lists, to the fabric port'));
    if (model.job) checks.push(derived(model.job, node, ADMIN_PORT, 'the provisioning Job, to the admin API'));
    if (model.prometheus) checks.push(derived(model.prometheus, node, INGRESS_PORT, 'Prometheus, to the ingress'));
  }
  const [first] = model.nodes;
  checks.push({
    from: first,
    to: model.service,
    port: SERVICE_PORT,
    expect: true,
    why: 'Restate calls the service deployment labelled allow.restate.dev/<cluster>',
  });
  for (const other of model.nodes.slice(1))
    checks.push({ from: first, to: other, port: FABRIC_PORT, expect: true, why: 'nodes talk to each other on 5122' });
  if (model.objectStore)
    checks.push({
      from: first,
      to: model.objectStore,
      port: model.objectStore.listens![0].port,
      expect: true,
      why: 'the nodes reach the snapshot store (networkEgressRules)',
    });
  return checks;
}

/**
 * Tries every check from its source pod: through its agent, or, for a node, from an agent running as the
 * node's uid. A refused connection is dropped, so it shows as a time-out.
 */
export async function runPolicyChecks(
  checks: readonly PolicyCheck[],
  agentFor: (pod: EnforcedPod) => PodAgent,
  timeoutMs = 1500,
): Promise<PolicyCheckResult[]> {
  return Promise.all(
    checks.map(async (c) => {
      const r = await agentFor(c.from).connect(c.to.ip!, c.port, timeoutMs);
      return { ...c, connected: r.connected, ...(r.error ? { error: r.error } : {}) };
    }),
  );
}

/** One line per failed check. */
export function describeFailures(results: readonly PolicyCheckResult[]): string[] {
  return results
    .filter((r) => r.connected !== r.expect)
    .map(
      (r) =>
        `${name(r.from)} -> ${name(r.to)}:${r.port} ${r.connected ? 'connected' : `did not connect (${r.error ?? 'refused'})`}, but must ${r.expect ? '' : 'not '}(${r.why})`,
    );
}
