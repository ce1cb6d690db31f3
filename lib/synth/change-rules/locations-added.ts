import { locationOf } from '../../target-folder/restate-cluster';
import { LOCATIONS_MIGRATION, needsLocations, renderReplication } from '../../values';
import { clusterOf } from './objects';
import type { ChangeFinding, TargetChange } from './types';

const PROCEDURE = 'docs/operations.md, "Zones"';

/**
 * Locations on a running cluster. Restate strongly recommends never changing a node's location once it registered:
 * "Changing the location may result in data loss or data inconsistency if `log-server` is enabled on this node"
 * (crates/types/src/config/common.rs:70-72 at v1.4.0 and v1.4.4). Giving a location to a node that had none is the one
 * change it expects (crates/node/src/init.rs:221-224 at v1.4.4), and it ignores a location taken away (:235-240).
 * So, against a committed target that runs without locations, adding them is a migration that `locations.migration`
 * must name, and a zone- or region-scoped replication waits for a later commit (every node must report its zone
 * first); changing or removing the locations of a committed target is refused.
 */
export function locationsAdded(change: TargetChange): ChangeFinding[] {
  const before = clusterOf(change.before);
  if (!before) return [];
  const [was, now] = [locationOf(before), locationOf(clusterOf(change.after))];
  const { values } = change;
  const label = change.before!.label;
  const refuse = (rule: string, keyPath: string, message: string): ChangeFinding => ({ rule, severity: 'refuse', keyPath, message });
  const findings: ChangeFinding[] = [];
  if (was === undefined && now !== undefined && values.locations?.migration !== LOCATIONS_MIGRATION) {
    findings.push(
      refuse(
        'locations-added',
        'locations',
        `gives locations to the nodes of a cluster that runs without them (${label}): each node registers its location when it restarts, ` +
          'and Restate warns that a location changed after registration can lose data. Name the documented procedure with ' +
          `locations.migration: ${LOCATIONS_MIGRATION} (this commit rolls every pod; then check with npm run status that every node reports its zone, ` +
          `and only then, in a second commit, a zone-scoped restate.defaultReplication) (${PROCEDURE})`,
      ),
    );
  }
  if (was === undefined && needsLocations(values.restate.defaultReplication)) {
    findings.push(
      refuse(
        'zone-replication-before-locations',
        'restate.defaultReplication',
        `${renderReplication(values.restate.defaultReplication)} needs every node to report its zone, and the committed target (${label}) gives the nodes ` +
          'no location: commit locations first, check with npm run status that every node reports its zone, then change the replication ' +
          `in a commit of its own (${PROCEDURE})`,
      ),
    );
  }
  if (was !== undefined && now === undefined) {
    findings.push(
      refuse(
        'locations-removed',
        'locations',
        `removes the nodes' locations (${label} gives them ${was}): Restate keeps a registered location when it is unset, ` +
          `so the nodes would keep it while the stack stops checking it; keep locations (${PROCEDURE})`,
      ),
    );
  }
  if (was !== undefined && now !== undefined && was !== now) {
    findings.push(
      refuse(
        'locations-changed',
        'locations.region',
        `changes the nodes' location from ${was} to ${now} (${label}): Restate warns that a location changed after registration ` +
          `can lose data or make it inconsistent on a log server; keep the region (${PROCEDURE})`,
      ),
    );
  }
  if (was !== undefined && values.locations?.migration === LOCATIONS_MIGRATION) {
    findings.push({
      rule: 'locations-migration-done',
      severity: 'warn',
      keyPath: 'locations.migration',
      text: 'the locations are committed: remove locations.migration',
      message: `the committed target (${label}) already gives the nodes their locations: remove locations.migration (${PROCEDURE})`,
    });
  }
  return findings;
}
