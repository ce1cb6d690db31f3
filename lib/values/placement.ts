import { z } from 'zod';
import { labelMap } from './kubernetes-rules';

/**
 * Where the Restate pods may run, as `spec.compute.{affinity,tolerations,nodeSelector}` of the operator 1.7.4
 * RestateCluster CRD take it (the Kubernetes core types). Operator 1.7.4 has no topologySpreadConstraints (1.8.3):
 * pod anti-affinity is the spread it offers.
 */

/** A label key as a topology key (`kubernetes.io/hostname`, `topology.kubernetes.io/zone`). */
const topologyKey = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    error: 'must be a node label key such as kubernetes.io/hostname or topology.kubernetes.io/zone',
  });

const anyMap = z.record(z.string(), z.unknown());
const termList = z.array(anyMap);

/** A Kubernetes Toleration (core/v1), its enums as the API server checks them. */
const toleration = z
  .strictObject({
    key: z.string().optional(),
    operator: z.enum(['Exists', 'Equal'], { error: 'must be Exists or Equal' }).optional(),
    value: z.string().optional(),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { error: 'must be NoSchedule, PreferNoSchedule or NoExecute' })
      .optional(),
    tolerationSeconds: z.number().int({ error: 'must be a whole number' }).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.operator === 'Exists' && t.value !== undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be empty with operator Exists' });
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute')
      ctx.addIssue({ code: 'custom', path: ['tolerationSeconds'], message: 'only applies with effect NoExecute' });
    if (t.key === undefined && t.operator !== 'Exists')
      ctx.addIssue({ code: 'custom', path: ['operator'], message: 'must be Exists when key is empty (a toleration of every taint)' });
  });

/** A Kubernetes Affinity (core/v1); the terms inside are passed on as written. */
const affinity = z.strictObject({
  nodeAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: anyMap.optional(),
      preferredDuringSchedulingIgnoredDuringExecution: termList.optional(),
    })
    .optional(),
  podAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: termList.optional(),
      preferredDuringSchedulingIgnoredDuringExecution: termList.optional(),
    })
    .optional(),
  podAntiAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: termList.optional(),
      preferredDuringSchedulingIgnoredDuringExecution: termList.optional(),
    })
    .optional(),
});

export const placement = z.strictObject({
  /**
   * Topology keys to spread the pods over, each as a *preferred* pod anti-affinity term (weight 100) among the
   * cluster's own pods: a small or single-node cluster still schedules them all. Base: the node
   * (`kubernetes.io/hostname`); providers with zones add `topology.kubernetes.io/zone`. `[]`: none.
   */
  spreadOver: z.array(topologyKey).optional(),
  /** Your own affinity; the spreadOver terms are added to its preferred pod anti-affinity. */
  affinity: affinity.optional(),
  tolerations: z.array(toleration).optional(),
  nodeSelector: labelMap.optional(),
});
