import { z } from 'zod';
import { integer } from './schema-parts';

/**
 * Restate's replication property (`ReplicationProperty` in crates/types/src/replication/replication_property.rs at
 * v1.4.4): copies per location scope. A plain integer N is `{node: N}`. Restate's parser (`FromStr`, :191-229)
 * refuses a factor of 0 and a larger scope with more copies than a smaller one (`set_scope`, :100-124).
 */
export const SCOPES = ['node', 'zone', 'region'] as const;
export type Scope = (typeof SCOPES)[number];
export type ReplicationProperty = Readonly<Partial<Record<Scope, number>>>;
export type Replication = number | ReplicationProperty;

/** A location label: Restate refuses whitespace and "." in a region or zone (node_location.rs, `validate_token`). */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const label = (what: string) => z.string().regex(LABEL, { error: `must be a ${what} name: letters, digits, - and _ (no "." or spaces)` });

const factor = integer.min(1, { error: 'must be at least 1' }).max(255, { error: 'must be at most 255 (a Restate u8)' });

export const replicationSchema = z.union(
  [
    integer.min(1, { error: 'must be at least 1' }).max(255, { error: 'must be at most 255 (a Restate u8)' }),
    z.strictObject({ node: factor.optional(), zone: factor.optional(), region: factor.optional() }).superRefine((property, ctx) => {
      const defined = SCOPES.filter((scope) => property[scope] !== undefined);
      if (defined.length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one of node, zone, region' });
      // Restate's rule: a larger scope may not ask for more copies than a smaller one ({zone: 3, node: 2} is refused).
      for (let i = 0; i + 1 < defined.length; i++) {
        const [small, large] = [defined[i]!, defined[i + 1]!];
        if (property[large]! > property[small]!) {
          ctx.addIssue({
            code: 'custom',
            path: [large],
            message: `must be at most ${small} (${property[small]}): Restate refuses a larger scope with more copies than a smaller one`,
          });
        }
      }
    }),
  ],
  { error: 'must be a number of copies (at least 1) or a replication property such as {zone: 2, node: 3}' },
);

/** Copies of each log record and partition: the factor of the smallest scope named (Restate's `num_copies`). */
export function replicationCopies(replication: Replication): number {
  if (typeof replication === 'number') return replication;
  return replication.node ?? replication.zone ?? replication.region ?? 1;
}

/** Copies that must sit in distinct zones (0: none asked). */
export function zoneCopies(replication: Replication): number {
  return typeof replication === 'number' ? 0 : (replication.zone ?? 0);
}

/** Whether the property names a zone or region scope, which needs every node to have a location. */
export function needsLocations(replication: Replication): boolean {
  return typeof replication !== 'number' && (replication.zone !== undefined || replication.region !== undefined);
}

/**
 * The property as Restate writes it and `restatectl config get` prints it (`Display`, replication_property.rs:166-189:
 * scopes from the smallest up): `{node: 3, zone: 2}`. A plain copy count stays a number (config `default-replication = 3`),
 * and so does `{node: N}`, as Restate serializes it (`ReplicationPropertyFromTo`, :269-284).
 */
export function renderReplication(replication: Replication): number | string {
  if (typeof replication === 'number') return replication;
  const scopes = SCOPES.filter((scope) => replication[scope] !== undefined);
  if (scopes.length === 1 && scopes[0] === 'node') return replication.node!;
  return `{${scopes.map((scope) => `${scope}: ${replication[scope]}`).join(', ')}}`;
}

/** The procedure name `locations.migration` takes: giving locations to a cluster that runs without them. */
export const LOCATIONS_MIGRATION = 'add-to-running-cluster';

/**
 * Where the nodes run: every Restate node gets the location `<region>.<zone of its pod>` (`RESTATE_LOCATION`), the zone
 * read from the pod's `topology.kubernetes.io/zone` label. `zones` lists the zones the pods spread over.
 */
export const locations = z.strictObject({
  region: label('region'),
  zones: z
    .array(label('zone'))
    .min(1, { error: 'must list at least one zone' })
    .refine((zones) => new Set(zones).size === zones.length, { error: 'must not list a zone twice' }),
  /**
   * Names the documented procedure (docs/operations.md, "Zones") when a committed target runs without locations:
   * synth refuses to add them otherwise.
   */
  migration: z.literal(LOCATIONS_MIGRATION, { error: `must be ${LOCATIONS_MIGRATION} (the one documented procedure)` }).optional(),
});

export type Locations = z.infer<typeof locations>;

/** The pod label Kubernetes' PodTopologyLabels admission copies from the pod's node (beta and on by default from 1.35). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * How many of the Raft metadata members one zone may hold while the others keep a majority: with `replicas`
 * members, a zone holding more than `replicas - majority` takes the quorum with it (5 pods: at most 2 per zone).
 */
export function quorumSafePerZone(replicas: number): number {
  return replicas - (Math.floor(replicas / 2) + 1);
}

/** What the zone warning needs of the values. */
export interface ZoneSpreadFacts {
  readonly replicas: number;
  readonly operatorVersion: string;
  readonly locations?: { readonly zones: readonly string[] };
  readonly metadata: { readonly store: string };
}

/**
 * Why pods could share a zone so that losing it loses the metadata quorum: `too-few-zones` (even an even spread puts
 * more than the safe count in one zone), `no-cap` (operator 1.7.4 has no topologySpreadConstraints, so nothing caps
 * the pods per zone), or undefined (no locations, object-store metadata, or an even spread within the safe count
 * that the target asks for). Placement stays a preference: this is a warning, never a refusal. Pure.
 */
export function zoneQuorumRisk(values: ZoneSpreadFacts): 'too-few-zones' | 'no-cap' | undefined {
  if (!values.locations || values.metadata.store !== 'replicated') return undefined;
  if (Math.ceil(values.replicas / values.locations.zones.length) > quorumSafePerZone(values.replicas)) return 'too-few-zones';
  return values.operatorVersion === '1.7.4' ? 'no-cap' : undefined;
}
