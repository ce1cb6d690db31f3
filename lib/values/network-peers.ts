import { z } from 'zod';

const labelMap = z.record(z.string(), z.string());

const labelSelector = z.strictObject({
  matchLabels: labelMap.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist'], { error: 'must be one of In, NotIn, Exists, DoesNotExist' }),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/**
 * One entry of `security.networkPeers.ingress` / `.admin` as the RestateCluster CRD 1.7.4 defines it: a
 * Kubernetes NetworkPolicyPeer (`podSelector` and/or `namespaceSelector`, or `ipBlock`).
 */
export const networkPolicyPeer = z
  .strictObject({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: z
      .strictObject({
        cidr: z.string().min(1),
        except: z.array(z.string()).optional(),
      })
      .optional(),
  })
  .refine(
    (p) =>
      p.ipBlock === undefined
        ? p.podSelector !== undefined || p.namespaceSelector !== undefined
        : p.podSelector === undefined && p.namespaceSelector === undefined,
    {
      error: 'must set podSelector and/or namespaceSelector, or ipBlock alone (a Kubernetes NetworkPolicyPeer)',
    },
  );

/**
 * Who may call the cluster, per port. Unset: nobody (the admin API: only the operator). `[]`: everybody, from
 * anywhere (the operator's NetworkPolicy then has an empty `from`).
 */
export const networkPeers = z.strictObject({
  /** Pods or ranges that may call the ingress, port 8080 (your applications' callers). */
  ingress: z.array(networkPolicyPeer).optional(),
  /** Pods or ranges that may call the admin API, port 9070 (deployment registration, CLI, UI). */
  admin: z.array(networkPolicyPeer).optional(),
});
