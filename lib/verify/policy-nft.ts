import type { NetworkPolicy } from '../operator-part/network-policies';
import { connectionAllowed, type PolicyPod, type Protocol } from './policy-eval';

/** A pod of the model as the rules need it: who it is for the policies, its uid, and what it listens on. */
export interface EnforcedPod extends PolicyPod {
  readonly uid: number;
  /** The loopback address it listens on, if it serves anything. */
  readonly ip?: string;
  /** @default [] */
  readonly listens?: readonly { readonly port: number; readonly protocol: Protocol }[];
}

export interface PolicyRuleset {
  /** The nftables script (`nft -f`). */
  readonly script: string;
  /** Connections the policies allow, as accept rules. */
  readonly accepted: number;
  /** Pod-to-pod combinations (source, destination, port) that the policies refuse, dropped by the final rules. */
  readonly refused: number;
}

export const POLICY_TABLE = 'verify_policies';

/**
 * Compiles the policies into nftables rules for the model's pods. All of them share one loopback interface,
 * so a source pod is known by the uid of the socket (`meta skuid`) and a destination by its loopback address
 * (after the Service DNAT, which runs earlier in the output hook). For every source pod and every port a pod
 * listens on, the connection is accepted when Kubernetes' rules allow it; any other new connection from a
 * pod's uid or to a pod's address is dropped, as CNIs drop refused traffic. Replies (established) pass.
 * uid 0 is the harness (the kubelet's probes, `kubectl exec` / `port-forward`, which NetworkPolicies do not
 * govern either) and passes.
 */
export function policyRuleset(pods: readonly EnforcedPod[], policies: readonly NetworkPolicy[]): PolicyRuleset {
  const rules: string[] = [];
  let accepted = 0;
  let refused = 0;
  for (const from of pods) {
    for (const to of pods) {
      if (to.ip === undefined) continue;
      for (const l of to.listens ?? []) {
        const verdict = connectionAllowed(policies, from, to, l.port, l.protocol);
        if (!verdict.allowed) {
          refused++;
          continue;
        }
        accepted++;
        rules.push(
          `    meta skuid ${from.uid} ip daddr ${to.ip} ${l.protocol.toLowerCase()} dport ${l.port} accept # ${from.namespace}/${from.name} -> ${to.namespace}/${to.name}`,
        );
      }
    }
  }
  const uids = [...new Set(pods.map((p) => p.uid))];
  const ips = [...new Set(pods.flatMap((p) => (p.ip ? [p.ip] : [])))];
  const script = [
    `table inet ${POLICY_TABLE} {`,
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    '    ct state established,related accept',
    '    meta skuid 0 accept',
    ...rules,
    `    meta skuid { ${uids.join(', ')} } drop`,
    ...(ips.length > 0 ? [`    ip daddr { ${ips.join(', ')} } drop`] : []),
    '  }',
    '}',
    '',
  ].join('\n');
  return { script, accepted, refused };
}
