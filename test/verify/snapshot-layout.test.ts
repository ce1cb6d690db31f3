import { onePartitionPerLeader } from '../../lib/verify/snapshot-check';
import { latestPointerProblem, latestWriter, snapshotsByPartition } from '../../lib/verify/snapshot-layout';

const PREFIX = 'restate-dev/snapshots';
const FOLDER = 'lsn_00000000000000000002-snap_17vbWQ33NTH0B3yaRVIpkeR';

/** A listing as the stand-in returned it for partition 5 after `restatectl snapshots create-snapshot 5`. */
function listing(extra: { key: string; size: number }[] = []) {
  return snapshotsByPartition(
    [
      { key: `${PREFIX}/5/latest.json`, size: 590 },
      { key: `${PREFIX}/5/${FOLDER}/000302.sst`, size: 1652 },
      { key: `${PREFIX}/5/${FOLDER}/metadata.json`, size: 869 },
      { key: 'elsewhere/7/latest.json', size: 10 },
      ...extra,
    ],
    PREFIX,
  );
}

function latest(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 'V2', partition_id: 5, cluster_name: 'restate-dev', node_name: 'restate-2', path: FOLDER, ...fields });
}

describe('reading snapshots from a listing of the destination', () => {
  test('groups objects by partition, counting only those under the prefix', () => {
    // GIVEN a listing with one partition's snapshot and an object outside the destination
    // WHEN it is grouped
    const seen = listing([{ key: `${PREFIX}/12/${FOLDER}/metadata.json`, size: 5 }]);

    // THEN partition 5 has its pointer and its folder, partition 12 a folder but no pointer yet
    expect(seen.objects).toBe(4);
    expect(seen.bytes).toBe(590 + 1652 + 869 + 5);
    expect(seen.partitions.get(5)?.latest).toBe(true);
    expect(seen.partitions.get(5)?.folders.get(FOLDER)).toEqual(['000302.sst', 'metadata.json']);
    expect(seen.partitions.get(12)?.latest).toBe(false);
    expect(seen.partitions.has(7)).toBe(false);
  });

  test('accepts a latest.json that names the partition and the cluster and points to a complete snapshot', () => {
    // GIVEN Restate's pointer for partition 5 and the listing
    // WHEN it is checked
    // THEN there is no problem, and its writer is read
    expect(latestPointerProblem(latest(), 5, 'restate-dev', listing())).toBeUndefined();
    expect(latestWriter(latest())).toBe('restate-2');
  });

  test.each([
    ['another partition', latest({ partition_id: 6 }), 'latest.json names partition 6'],
    ['another cluster', latest({ cluster_name: 'restate-prod' }), 'latest.json names cluster "restate-prod", expected "restate-dev"'],
    [
      'a missing snapshot folder',
      latest({ path: 'lsn_9-snap_gone' }),
      'points to lsn_9-snap_gone/, which holds no metadata.json (files: none)',
    ],
    ['no path', latest({ path: undefined }), 'latest.json has no snapshot path'],
    ['text that is not JSON', '<Error/>', 'latest.json is not JSON'],
  ])('names the problem of a latest.json with %s', (_what, text, message) => {
    // GIVEN a pointer that is wrong in one way
    // WHEN it is checked against partition 5 of restate-dev
    const problem = latestPointerProblem(text, 5, 'restate-dev', listing());

    // THEN the problem names the partition and what is wrong
    expect(problem).toContain('partition 5: ');
    expect(problem).toContain(message);
  });

  test('picks the lowest partition each node leads, so every leading node writes one snapshot', () => {
    // GIVEN leaders of six partitions over three nodes (partition 3 briefly reported by two)
    const leaders = new Map([
      [0, ['restate-1']],
      [1, ['restate-1']],
      [2, ['restate-0']],
      [3, ['restate-2', 'restate-0']],
      [4, ['restate-2']],
      [5, ['restate-0']],
    ]);

    // WHEN the partitions to snapshot are picked
    // THEN each node gets its lowest partition, in order, without duplicates
    expect(onePartitionPerLeader(leaders)).toEqual([0, 2, 3]);
  });
});
