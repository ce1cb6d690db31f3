import { isRecord } from '../../target-folder/restate-cluster';
import { clusterOf } from './objects';
import type { ChangeFinding, ManifestObject, TargetChange } from './types';

/** JSON with sorted keys: equal data, equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/**
 * The parts of a RestateCluster that operator 1.7.4 puts into the StatefulSet's pod template, by name: the CR's
 * labels and annotations (copied onto the pod template), the server config (a new ConfigMap name), and
 * `spec.compute` but for `replicas` (image, resources, env, placement, DNS), and the request-signing key (a volume).
 */
function podTemplateParts(cluster: ManifestObject): Record<string, unknown> {
  const { replicas: _replicas, ...compute } = (cluster.spec?.compute ?? {}) as Record<string, unknown>;
  const parts: Record<string, unknown> = {
    'CR labels': cluster.metadata?.labels,
    'CR annotations': cluster.metadata?.annotations,
    'server config (spec.config)': cluster.spec?.config,
    'request-signing key (spec.security.requestSigningPrivateKey)': cluster.spec?.security?.requestSigningPrivateKey,
  };
  for (const key of Object.keys(compute).sort()) parts[`spec.compute.${key}`] = compute[key];
  return parts;
}

/** The changed parts in a few words: `image, config`; two at most. */
function shortParts(changed: readonly string[]): string {
  const names = changed.map((part) => SHORT_NAMES[part] ?? part.replace(/^spec\.compute\./, ''));
  return names.length > 2 ? `${names.slice(0, 2).join(', ')}, …` : names.join(', ');
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  'CR labels': 'labels',
  'CR annotations': 'annotations',
  'server config (spec.config)': 'config',
  'request-signing key (spec.security.requestSigningPrivateKey)': 'signing key',
};

/**
 * Every pod-template change against the committed target rolls all pods, one at a time. Under operator 1.7.4
 * the readiness probe (`/health` on 9070) has no initial delay (compute.rs:375-382 at v1.7.4; 30 s came in
 * v1.8.0), and `/health` answers within a second of start while partitions need 15–20 s: measured, the whole
 * cluster rolled in 10 s, leaders dropped to 0 and recovery took 41 s.
 */
export function podTemplateRoll(change: TargetChange): ChangeFinding[] {
  const before = clusterOf(change.before);
  const after = clusterOf(change.after);
  if (!before || !after) return [];
  const [old, next] = [podTemplateParts(before), podTemplateParts(after)];
  const changed = [...new Set([...Object.keys(old), ...Object.keys(next)])].filter((key) => canonical(old[key]) !== canonical(next[key]));
  if (changed.length === 0) return [];
  const pods = change.values.replicas;
  return [
    {
      rule: 'pod-template-roll',
      severity: 'warn',
      text: `restarts every pod (${shortParts(changed)}); apply when quiet`,
      message:
        `changes the pods' template (${changed.join(', ')}): applying it restarts all ${pods} Restate pods, one at a time. Under operator 1.7.4 the readiness ` +
        'probe has no initial delay, so the StatefulSet moves on as soon as /health answers, before the restarted node leads its partitions again: ' +
        `expect up to ~40 s in which partitions have no leader and requests time out. Apply it at a quiet time (docs/operations.md, "Rolling restarts")`,
    },
  ];
}
