/**
 * Pod Security Standards levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/), as the
 * PodSecurity admission plugin reads them from a namespace's `pod-security.kubernetes.io/<mode>` labels.
 */
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/**
 * The level the operator's namespace enforces unless `operator.podSecurityLevel` says otherwise: the level the
 * operator's own pod meets with the chart's defaults (1.7.4 and 2.8.1 set no seccomp profile, so not `restricted`).
 * The stack's provisioning and drain Jobs, which run there too, meet `restricted`. docs/pod-security.md
 */
export const DEFAULT_POD_SECURITY_LEVEL: PodSecurityLevel = 'baseline';

/** Seccomp profile types the `restricted` level accepts (`Unconfined` is refused). */
const RESTRICTED_SECCOMP_TYPES = ['RuntimeDefault', 'Localhost'];

/**
 * Whether the operator chart's pod, with these chart values over the chart's defaults, has a seccomp profile
 * `restricted` accepts: the one field of that level the chart's defaults miss (templates/deployment.yaml and
 * values.yaml at v1.7.4 and v2.8.1 write `podSecurityContext` and `securityContext` as given). As the PodSecurity
 * plugin checks it: the container's profile, else the pod's, must be RuntimeDefault or Localhost, and a pod-level
 * profile, when set, must be one of those too.
 */
export function operatorPodHasSeccomp(chartValues: {
  readonly podSecurityContext?: Readonly<Record<string, unknown>>;
  readonly securityContext?: Readonly<Record<string, unknown>>;
}): boolean {
  const typeOf = (context?: Readonly<Record<string, unknown>>): string | undefined => {
    const profile = context?.seccompProfile;
    if (typeof profile !== 'object' || profile === null) return undefined;
    const type = (profile as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
  };
  const pod = typeOf(chartValues.podSecurityContext);
  const container = typeOf(chartValues.securityContext) ?? pod;
  const accepted = (type: string | undefined) => type !== undefined && RESTRICTED_SECCOMP_TYPES.includes(type);
  return accepted(container) && (pod === undefined || accepted(pod));
}
