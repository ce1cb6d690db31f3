import { z } from 'zod';
import { labelMap } from './kubernetes-rules';
import { quantityToBytes } from './quantity';

// A DNS-1123 label: the cluster name becomes a namespace, the release name a label value.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// A DNS-1123 subdomain: StorageClass and Secret names.
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dnsLabel = (max = 63) =>
  z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .regex(DNS_LABEL, {
      error: 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
    });

export const dnsSubdomain = () => z.string().max(253).regex(DNS_SUBDOMAIN, { error: 'must be a DNS-1123 subdomain' });

export const integer = z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' });

export const quantity = z.string({ error: 'must be a Kubernetes quantity with its unit, e.g. 40Gi or 500Mi' }).superRefine((text, ctx) => {
  try {
    quantityToBytes(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Label key → value, as selectors take them; keys and values as the API server accepts them. */
export const labels = labelMap;

/**
 * Pods elsewhere in the cluster, by namespace and labels: the target of a network egress rule, or a peer
 * admitted by a network policy.
 */
export const podsInNamespace = z.strictObject({
  namespace: dnsLabel(),
  podLabels: labels,
});

/** An address range outside the cluster, e.g. an object store on a private network. */
export const ipRange = z.strictObject({
  cidr: z.string().regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$/, { error: 'must be an IPv4 CIDR such as 10.0.12.0/24' }),
});

/** Where a pod may send traffic to: pods by namespace and labels, or an address range. */
export const egressTarget = z.union([podsInNamespace, ipRange], {
  error: 'must be either {namespace, podLabels} (pods in the cluster) or {cidr} (an address range)',
});

/** An http(s) URL with a host and an optional port. */
export const httpUrl = z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/.*)?$/, {
  error: 'must be an http:// or https:// URL such as http://otel-collector.observability.svc:4317',
});

export const goDuration = z.string().regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, { error: 'must be a Go duration such as 30s, 10m or 1h' });
