import type { ChangeFinding, TargetChange } from './types';

/**
 * A multi-node target without a snapshot repository cannot trim its logs (every node warns so once a minute),
 * and trimming them anyway leaves partitions that cannot recover a lost replica (`log gap … no snapshot
 * repository is configured`). The stack never trims; this says what that costs.
 */
export function noSnapshots(change: TargetChange): ChangeFinding[] {
  const { values } = change;
  if (values.replicas < 2 || values.snapshots.enabled) return [];
  return [
    {
      rule: 'snapshots-off',
      severity: 'warn',
      keyPath: 'snapshots.enabled',
      text: 'logs grow untrimmed; never trim by hand, enable snapshots',
      message:
        `is false on ${values.replicas} nodes: without a snapshot repository Restate cannot trim its logs, so they grow with every write, and trimming them ` +
        'by hand (restatectl logs trim) leaves any replica that later loses its volume unrecoverable (a log gap no snapshot can fill). ' +
        'Never trim this cluster; enable snapshots on an object store that has the guarantees (docs/object-storage-and-credentials.md) before its disks fill',
    },
  ];
}
