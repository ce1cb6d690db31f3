import type * as restate from '../../imports/operator-1.7.4/restate.dev';
import { LOCATION_ENV } from '../target-folder/restate-cluster';
import { operatorVersion, type StackValues, ZONE_LABEL } from '../values';

export { ZONE_LABEL };

export { LOCATION_ENV };

/**
 * The env var holding the pod's zone. Operator 2.8.1 injects it itself, from the same label, ahead of `spec.compute.env`
 * (restate-operator v2.8.1 src/controllers/restatecluster/reconcilers/compute.rs:254-267); under 1.7.4 the stack
 * adds it (the 1.7.4 CRD takes `env[].valueFrom.fieldRef`, crd/restateclusters.yaml:584-620).
 */
export const ZONE_ENV = 'POD_ZONE';

/**
 * The env that gives each node its location: `RESTATE_LOCATION=<region>.$(POD_ZONE)`. Kubernetes expands `$(POD_ZONE)`
 * from the earlier entry. A pod without the zone label gets `<region>.`, which Restate reads as a location with a region
 * and no zone: `status` and verify check that every node reports a zone. Empty without `locations`. Pure.
 */
export function locationEnv(values: StackValues): restate.RestateClusterSpecComputeEnv[] {
  if (!values.locations) return [];
  const zone =
    operatorVersion(values) === '1.7.4'
      ? [{ name: ZONE_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${ZONE_LABEL}']` } } }]
      : [];
  return [...zone, { name: LOCATION_ENV, value: `${values.locations.region}.$(${ZONE_ENV})` }];
}

/** The location a node should report when its pod runs in `zone`. */
export function expectedLocation(region: string, zone: string): string {
  return `${region}.${zone}`;
}

/** Whether `topologySpread` already spreads over zones. */
export function spreadsOverZones(values: Pick<StackValues, 'topologySpread'>): boolean {
  return (values.topologySpread ?? []).some((c) => c.topologyKey === ZONE_LABEL);
}

/**
 * The `topologySpread` the target ships: the values' own, and with `locations` under operator 2.8.1 (whose CRD has
 * `spec.compute.topologySpreadConstraints`, crd/restateclusters.yaml:3151 at v2.8.1) one over zones when they name
 * none: maxSkew 1 puts 5 pods over 3 zones as 2, 2, 1, so no zone holds a metadata majority. ScheduleAnyway: a
 * preference, never a requirement (a cluster with fewer zones still schedules every pod). Pure.
 */
export function topologySpread(values: StackValues): StackValues['topologySpread'] {
  if (!values.locations || operatorVersion(values) === '1.7.4' || spreadsOverZones(values)) return values.topologySpread;
  return [...(values.topologySpread ?? []), { topologyKey: ZONE_LABEL, maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' }];
}
