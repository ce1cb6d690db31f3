import type { Restatectl } from '../../../lib/verify/restatectl';
import { probeNodeBack } from '../../../lib/verify/scenarios/node-health';

type Tables = { nodes: object[]; partitions: object[]; processors: object[]; leaders: object[] };

/** A restatectl whose `sql` answers from tables, by the table the query reads (and the generation it filters on). */
function fakeCtl(tables: Tables): Restatectl {
  return {
    sql: async (_addresses: readonly string[], query: string) => {
      if (query.includes('FROM nodes')) return tables.nodes;
      if (query.includes('FROM partitions')) return tables.partitions;
      if (query.includes("effective_mode) = 'leader'")) return tables.leaders;
      const gen = /gen_node_id = '([^']+)'/.exec(query)?.[1];
      return tables.processors.filter((r) => (r as { gen_node_id: string }).gen_node_id === gen);
    },
  } as unknown as Restatectl;
}

const nodes = [
  { plain_node_id: 'N1', gen_node_id: 'N1:4', name: 'restate-0', state: 'alive' },
  { plain_node_id: 'N2', gen_node_id: 'N2:1', name: 'restate-1', state: 'alive' },
];
const partitions = [
  { partition_id: 0, current_replica_set: 'N1,N2' },
  { partition_id: 1, current_replica_set: 'N2,N12' },
];
const leaders = [
  { partition_id: 0, gen_node_id: 'N2:1' },
  { partition_id: 1, gen_node_id: 'N2:1' },
];

describe('partition health after a node came back (the gate of a rolling change)', () => {
  test('GIVEN the node still listed as its old generation WHEN probed THEN it is not back', async () => {
    const probe = await probeNodeBack(fakeCtl({ nodes, partitions, processors: [], leaders }), [], {
      name: 'restate-0',
      before: 'N1:4',
      partitions: 2,
    });
    expect(probe).toEqual({ done: false, reason: 'restate-0 is still listed as its old generation N1:4' });
  });

  test('GIVEN the new generation without an active processor for a partition of its replica sets WHEN probed THEN it is not back', async () => {
    const probe = await probeNodeBack(fakeCtl({ nodes, partitions, processors: [], leaders }), [], {
      name: 'restate-0',
      before: 'N1:3',
      partitions: 2,
    });
    expect(probe).toEqual({ done: false, reason: 'restate-0 (N1:4) has 0/1 of its partition processors active' });
  });

  test('GIVEN its processors active and every partition led WHEN probed THEN it is back; N12 does not count as N1', async () => {
    const processors = [{ partition_id: 0, gen_node_id: 'N1:4' }];
    const probe = await probeNodeBack(fakeCtl({ nodes, partitions, processors, leaders }), [], {
      name: 'restate-0',
      before: 'N1:3',
      partitions: 2,
    });
    expect(probe).toEqual({ done: true, value: 'restate-0 back as N1:4, 1 partition processors active, every partition led' });
  });

  test('GIVEN a partition without an active leader WHEN probed THEN it is not back', async () => {
    const processors = [{ partition_id: 0, gen_node_id: 'N1:4' }];
    const probe = await probeNodeBack(fakeCtl({ nodes, partitions, processors, leaders: leaders.slice(0, 1) }), [], {
      name: 'restate-0',
      partitions: 2,
    });
    expect(probe.done).toBe(false);
    expect(probe).toMatchObject({ reason: expect.stringContaining('1/2 partitions have an active leader') });
  });

  test('GIVEN a node that must hold partitions and holds none WHEN probed THEN it is not back', async () => {
    const probe = await probeNodeBack(
      fakeCtl({
        nodes: [...nodes, { plain_node_id: 'N4', gen_node_id: 'N4:1', name: 'restate-2', state: 'alive' }],
        partitions,
        processors: [],
        leaders,
      }),
      [],
      {
        name: 'restate-2',
        partitions: 2,
        minPartitions: 1,
      },
    );
    expect(probe).toEqual({ done: false, reason: 'restate-2 (N4:1) is in the replica set of 0 partitions, not yet 1' });
  });
});
