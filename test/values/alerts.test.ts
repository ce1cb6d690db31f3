import {
  alertWarnings,
  exportsMetric,
  loadTargetValues,
  restateVersionOfImage,
  showSpan,
  type StackValues,
  targetAlerts,
} from '../../lib/values';
import { FIXTURE_VALUES, ValuesDir } from '../support/values-dir';

const valuesFor = (environment: string, provider: string) => loadTargetValues(FIXTURE_VALUES, environment, provider).values;
const withImage = (values: StackValues, tag: string): StackValues => ({ ...values, image: `restatedev/restate:${tag}` });

describe('the Restate version of an image', () => {
  test('an exact tag is its version, a minor tag the whole minor; a digest alone names none', () => {
    expect(restateVersionOfImage('restatedev/restate:1.4.4')).toEqual({ major: 1, minor: 4, patch: 4 });
    expect(restateVersionOfImage(`ghcr.io:5000/restatedev/restate:v1.7.12@sha256:${'a'.repeat(64)}`)).toEqual({
      major: 1,
      minor: 7,
      patch: 12,
    });
    expect(restateVersionOfImage('restatedev/restate:1.5.0-rc.1')).toEqual({ major: 1, minor: 5, patch: 0 });
    expect(restateVersionOfImage('restatedev/restate:1.7')).toEqual({ major: 1, minor: 7 });
    expect(restateVersionOfImage(`restatedev/restate@sha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(restateVersionOfImage('localhost:5000/restate')).toBeUndefined();
  });

  test('the per-partition leader gauge ends where the per-node leader count begins, at 1.7.3', () => {
    const v = (tag: string) => restateVersionOfImage(`r:${tag}`)!;
    expect(exportsMetric(v('1.7.2'), 'restate_partition_is_effective_leader')).toBe(true);
    expect(exportsMetric(v('1.7.3'), 'restate_partition_is_effective_leader')).toBe(false);
    expect(exportsMetric(v('1.7.2'), 'restate_num_active_partition_leaders')).toBe(false);
    expect(exportsMetric(v('1.7.3'), 'restate_num_active_partition_leaders')).toBe(true);
    expect(exportsMetric(v('1.5.3'), 'restate_partition_snapshot_age_seconds')).toBe(false);
    expect(exportsMetric(v('1.6.0'), 'restate_partition_snapshot_age_seconds')).toBe(true);
    expect(showSpan({ since: '1.4.0', until: '1.7.3' })).toBe('1.4.0 to before 1.7.3');
    // a minor tag: only what every patch of it exports
    expect(exportsMetric({ major: 1, minor: 7 }, 'restate_partition_is_effective_leader')).toBe(false);
    expect(exportsMetric({ major: 1, minor: 7 }, 'restate_num_active_partition_leaders')).toBe(false);
    expect(exportsMetric({ major: 1, minor: 6 }, 'restate_partition_snapshot_age_seconds')).toBe(true);
  });
});

describe('the alerts of a target', () => {
  test('GIVEN prod/vultr (no snapshots) and prod/aws (snapshots) on 1.4.4 THEN both ship 9 alerts and aws misses the snapshot age', () => {
    const vultr = targetAlerts(valuesFor('prod', 'vultr'));
    const aws = targetAlerts(valuesFor('prod', 'aws'));
    expect(vultr.shipped.map((a) => a.name)).toEqual(aws.shipped.map((a) => a.name));
    expect(vultr.shipped).toHaveLength(9);
    expect(vultr.missing).toEqual([]);
    expect(aws.missing).toEqual([
      { name: 'RestateSnapshotTooOld', metric: 'restate_partition_snapshot_age_seconds', span: { since: '1.6.0' }, formChanges: false },
    ]);
  });

  test('the leader and snapshot alerts take the form of the version: per partition up to 1.7.2, per node / quantiles after', () => {
    const aws = valuesFor('prod', 'aws');
    const forms = (tag: string) =>
      Object.fromEntries(targetAlerts(withImage(aws, tag)).shipped.flatMap((a) => (a.signal ? [[a.name, a.signal.form]] : [])));
    expect(forms('1.6.1')).toEqual({
      RestateNodeDown: 'failure-detector',
      RestatePartitionsWithoutLeader: 'per-partition',
      RestateMetadataQuorumAtRisk: 'committed-lsn',
      RestateSnapshotTooOld: 'per-partition',
    });
    expect(forms('1.7.12')).toMatchObject({ RestatePartitionsWithoutLeader: 'leader-count', RestateSnapshotTooOld: 'quantiles' });
  });

  test('a minor tag ships what every patch of it can feed: on 1.7 neither leader form, on 1.4 all of 1.4.4', () => {
    const aws = valuesFor('prod', 'aws');
    expect(alertWarnings(withImage(aws, '1.7'), 'prod/aws').map((w) => w.text)).toEqual([
      'RestatePartitionsWithoutLeader not shipped: the form of restate_num_active_partition_leaders changes within Restate 1.7 (any patch); pin a patch',
      'RestateSnapshotTooOld not shipped: the form of restate_partition_snapshot_age_seconds changes within Restate 1.7 (any patch); pin a patch',
    ]);
    expect(targetAlerts(withImage(aws, '1.4')).shipped).toEqual(targetAlerts(aws).shipped);
  });

  test('a digest alone ships none of the alerts on Restate metrics, and says so for each', () => {
    const aws = { ...valuesFor('prod', 'aws'), image: `restatedev/restate@sha256:${'a'.repeat(64)}` };
    expect(targetAlerts(aws).shipped.map((a) => a.name)).toEqual([
      'RestatePodNotReady',
      'RestateVolumeFillingUp',
      'RestateMemoryNearLimit',
      'RestateRestartLoop',
      'RestateClusterNotReady',
      'RestateJobFailed',
    ]);
    expect(alertWarnings(aws, 'prod/aws').map((w) => w.text)).toEqual([
      'RestateNodeDown not shipped: restate_failure_detector_nodes_total is exported by Restate 1.4.0 and later, the image tag names no version',
      'RestatePartitionsWithoutLeader not shipped: restate_num_partitions is exported by Restate 1.4.0 and later, the image tag names no version',
      'RestateMetadataQuorumAtRisk not shipped: restate_metadata_server_replicated_committed_lsn is exported by Restate 1.4.0 and later, ' +
        'the image tag names no version',
      'RestateSnapshotTooOld not shipped: restate_partition_snapshot_age_seconds is exported by Restate 1.6.0 and later, the image tag names no version',
    ]);
  });

  test('alert-metric-missing names the alert, the metric, the versions that have it and the image; none without metrics', () => {
    const aws = valuesFor('prod', 'aws');
    expect(alertWarnings(aws, 'prod/aws')).toEqual([
      {
        id: 'alert-metric-missing',
        target: 'prod/aws',
        text: 'RestateSnapshotTooOld not shipped: restate_partition_snapshot_age_seconds is exported by Restate 1.6.0 and later, the image is 1.4.4',
      },
    ]);
    expect(alertWarnings({ ...aws, metrics: { ...aws.metrics, enabled: false } }, 'prod/aws')).toEqual([]);
  });

  test('the quorum alert needs replicated metadata and 3 nodes; the memory alert a memory limit; the Job alert a Job', () => {
    const prod = valuesFor('prod', 'vultr');
    const names = (values: StackValues) => targetAlerts(values).shipped.map((a) => a.name);
    expect(names({ ...prod, replicas: 1 })).not.toContain('RestateMetadataQuorumAtRisk');
    expect(names({ ...prod, resources: undefined })).not.toContain('RestateMemoryNearLimit');
    expect(names({ ...prod, provisioning: { automated: false } })).not.toContain('RestateJobFailed');
    expect(names(prod)).toEqual(expect.arrayContaining(['RestateMetadataQuorumAtRisk', 'RestateMemoryNearLimit', 'RestateJobFailed']));
  });
});

describe('metrics.alerts values', () => {
  let dir: ValuesDir;
  beforeEach(() => {
    dir = new ValuesDir();
  });
  afterEach(() => dir.remove());

  test('a percent outside 1–100, zero restarts, a bad duration and a URL that is not http are refused by key path', () => {
    dir.set('base.yaml', ['metrics', 'alerts', 'volumeFillingUp', 'usedPercent'], 101);
    dir.set('base.yaml', ['metrics', 'alerts', 'memoryNearLimit', 'usedPercent'], 0);
    dir.set('base.yaml', ['metrics', 'alerts', 'restartLoop', 'restarts'], 0);
    dir.set('base.yaml', ['metrics', 'alerts', 'nodeDown', 'for'], '5 minutes');
    dir.set('base.yaml', ['metrics', 'alerts', 'runbookBaseUrl'], 'docs/runbooks.md');
    const errors = dir.errorsOf().join('\n');
    expect(errors).toContain('metrics.alerts.volumeFillingUp.usedPercent: must be between 1 and 100, got 101');
    expect(errors).toContain('metrics.alerts.memoryNearLimit.usedPercent: must be between 1 and 100, got 0');
    expect(errors).toContain('metrics.alerts.restartLoop.restarts: must be at least 1, got 0');
    expect(errors).toContain('metrics.alerts.nodeDown.for: must be a Go duration such as 30s, 10m or 1h');
    expect(errors).toContain('metrics.alerts.runbookBaseUrl: must be an http:// or https:// URL');
  });
});
