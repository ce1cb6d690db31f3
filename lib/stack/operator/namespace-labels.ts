import type { PodSecurityLevel } from '../../values';

/** The PodSecurity admission plugin's namespace label for a mode: `pod-security.kubernetes.io/<mode>`. */
const podSecurityLabel = (mode: 'enforce' | 'audit' | 'warn') => `pod-security.kubernetes.io/${mode}`;

/**
 * The labels that make the PodSecurity admission plugin hold the operator's namespace to `level`
 * (https://kubernetes.io/docs/concepts/security/pod-security-admission/). `enforce` refuses a Pod that falls short;
 * it checks Pods only, so a Deployment or Job whose template falls short would apply cleanly and leave its
 * controller failing to create pods. `warn` (at the same level) tells whoever applies such a Deployment or Job at
 * once, and `audit` records it in the API server's audit log. No `-version` labels: the plugin checks against the
 * server's own version of the standard (`latest`).
 */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return { [podSecurityLabel('enforce')]: level, [podSecurityLabel('audit')]: level, [podSecurityLabel('warn')]: level };
}
