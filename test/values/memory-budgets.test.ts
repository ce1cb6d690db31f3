import { join } from 'node:path';
import * as TOML from '@iarna/toml';
import { renderRestateConfig, restateServerConfig } from '../../lib/stack/restate-config';
import { GiB, loadTargetValues, MiB, memoryBudgets, serverVersion } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

/*
 * The server's memory budgets follow the pod's memory by the rule of docs/memory.md, per server version, and values
 * whose budgets or memory cannot work are refused with the file, the key paths and the numbers.
 */

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const PROD = 'environments/prod.yaml';
const prod = () => join(dir.path, PROD);
const bytesOf = (budgets: ReturnType<typeof memoryBudgets>['budgets']) =>
  Object.fromEntries(Object.entries(budgets).map(([key, budget]) => [key, budget!.bytes]));
const pod = (limit: string | undefined, image: string, request?: string) => ({
  image,
  resources: { limits: limit ? { memory: limit } : undefined, requests: request ? { memory: request } : undefined },
  restate: {},
});

describe('the budgets are derived from the pod memory, per server version', () => {
  test('1.4.4 under an 8Gi limit: RocksDB half, the query engine 1/8 (under its 4Gi default), the record cache at its 250Mi default', () => {
    // GIVEN the shipped image and prod's limit WHEN deriving THEN
    const derived = memoryBudgets(pod('8Gi', 'restatedev/restate:1.4.4'));
    expect(derived.version).toEqual([1, 4, 4]);
    expect(bytesOf(derived.budgets)).toEqual({ rocksdbTotal: 4 * GiB, queryEngine: 1 * GiB, recordCache: 250 * MiB });
  });

  test('1.4.4 under a 4Gi limit: every budget shrinks with it, where the server defaults (6Gi + 4Gi) would not fit', () => {
    const derived = memoryBudgets(pod('4Gi', 'restatedev/restate:1.4.4'));
    expect(bytesOf(derived.budgets)).toEqual({ rocksdbTotal: 2 * GiB, queryEngine: 512 * MiB, recordCache: 128 * MiB });
  });

  test('1.6.x holds the query engine under its 1Gi default, 1.5.x under 4Gi', () => {
    expect(memoryBudgets(pod('16Gi', 'restatedev/restate:1.6.2')).budgets.queryEngine?.bytes).toBe(1 * GiB);
    expect(memoryBudgets(pod('16Gi', 'restatedev/restate:1.5.3')).budgets.queryEngine?.bytes).toBe(2 * GiB);
  });

  test('1.7.x adds the invoker pool (worker.invoker.memory-limit), 1/16 of the pod under its 1.5Gi default', () => {
    expect(bytesOf(memoryBudgets(pod('8Gi', 'restatedev/restate:1.7.12')).budgets)).toEqual({
      rocksdbTotal: 4 * GiB,
      queryEngine: 1 * GiB,
      recordCache: 250 * MiB,
      invoker: 512 * MiB,
    });
    expect(memoryBudgets(pod('64Gi', 'restatedev/restate:1.7.4')).budgets.invoker?.bytes).toBe(1536 * MiB);
  });

  test('with only a request, the request is the basis; with neither, nothing is derived', () => {
    const derived = memoryBudgets(pod(undefined, 'restatedev/restate:1.4.4', '2Gi'));
    expect(derived.pod).toEqual({ bytes: 2 * GiB, from: 'resources.requests.memory', quantity: '2Gi' });
    expect(derived.budgets.rocksdbTotal?.bytes).toBe(1 * GiB);
    expect(memoryBudgets(pod(undefined, 'restatedev/restate:1.4.4')).budgets).toEqual({});
  });

  test('shares round down to whole MiB; decimal and fractional quantities work', () => {
    expect(memoryBudgets(pod('3G', 'restatedev/restate:1.4.4')).budgets.rocksdbTotal?.bytes).toBe(1430 * MiB);
    expect(memoryBudgets(pod('1.5Gi', 'restatedev/restate:1.4.4')).budgets.rocksdbTotal?.bytes).toBe(768 * MiB);
  });

  test.each([
    ['restatedev/restate:1.4.4', [1, 4, 4]],
    ['docker.io/restatedev/restate:1.7', [1, 7, 0]],
    ['restatedev/restate:v1.6.1', [1, 6, 1]],
    ['restatedev/restate@sha256:0123456789abcdef0123456789abcdef', undefined],
    ['restatedev/restate:main', undefined],
  ])('the server version of %s is %j', (image, version) => {
    expect(serverVersion(image)).toEqual(version);
  });
});

describe('the budgets are written where the server reads them', () => {
  test('prod (8Gi, 1.4.4): rocksdb-total-memory-size, [admin.query-engine] memory-size and [bifrost] record-cache-memory-size', () => {
    // GIVEN the fixtures' prod values WHEN rendering its config THEN the TOML holds the budgets in bytes
    const { values } = loadTargetValues(dir.path, 'prod', 'vultr');
    const toml = TOML.parse(renderRestateConfig(restateServerConfig(values))) as any;
    expect(toml['rocksdb-total-memory-size']).toBe(4 * GiB);
    expect(toml.admin['query-engine']['memory-size']).toBe(1 * GiB);
    expect(toml.bifrost).toEqual({ 'default-provider': 'replicated', 'record-cache-memory-size': 250 * MiB });
    expect(toml.worker).toBeUndefined(); // no invoker pool before 1.7
  });

  test('on 1.7 the invoker pool joins [worker], beside the snapshots', () => {
    dir.set(PROD, ['image'], 'restatedev/restate:1.7.12');
    const { values } = loadTargetValues(dir.path, 'prod', 'aws');
    const toml = TOML.parse(renderRestateConfig(restateServerConfig(values))) as any;
    expect(toml.worker.invoker).toEqual({ 'memory-limit': 512 * MiB });
    expect(toml.worker.snapshots.destination).toMatch(/^s3:\/\//);
  });

  test('an explicit budget is written as set, the others stay derived', () => {
    dir.set(PROD, ['restate', 'memory'], { rocksdbTotal: '3Gi' });
    const { values } = loadTargetValues(dir.path, 'prod', 'vultr');
    const toml = TOML.parse(renderRestateConfig(restateServerConfig(values))) as any;
    expect(toml['rocksdb-total-memory-size']).toBe(3 * GiB);
    expect(toml.admin['query-engine']['memory-size']).toBe(1 * GiB);
  });

  test('a target without pod memory gets no budget (the server defaults stand)', () => {
    const { values } = loadTargetValues(dir.path, 'dev', 'vultr');
    const toml = TOML.parse(renderRestateConfig(restateServerConfig(values))) as any;
    expect(toml['rocksdb-total-memory-size']).toBeUndefined();
    expect(toml.admin).toBeUndefined();
  });
});

describe('budgets the pod cannot hold, and pods too small, are refused', () => {
  test('explicit budgets above 3/4 of the limit: one error naming the file, the keys and the numbers', () => {
    // GIVEN an 8Gi limit and a 6Gi RocksDB budget (restate-cdk's 75 %)
    dir.set(PROD, ['restate', 'memory'], { rocksdbTotal: '6Gi' });
    // THEN the sum with the derived budgets is over 6Gi
    expect(dir.errorsOf('prod', 'vultr')).toEqual([
      `${prod()}: restate.memory: budgets restate.memory.rocksdbTotal 6Gi + queryEngine (derived) 1Gi + recordCache (derived) 250Mi = 7418Mi ` +
        'exceed the 6Gi that resources.limits.memory 8Gi allows (75 %; the rest is the server process itself): ' +
        'lower them or raise resources.limits.memory (docs/memory.md)',
    ]);
  });

  test('a limit below 512Mi is refused, naming the key and the bytes', () => {
    dir.set(PROD, ['resources'], { requests: { memory: '256Mi' }, limits: { memory: '256Mi' } });
    expect(dir.errorsOf('prod', 'vultr')).toEqual([
      `${prod()}: resources.limits.memory: is 256Mi (268435456 bytes), below the 512Mi a Restate server needs: from 1.7 the server raises ` +
        'rocksdb-total-memory-size to at least 256Mi, which is more than half of a smaller pod (docs/memory.md)',
    ]);
  });

  test('with only a request, the request is checked', () => {
    dir.set(PROD, ['resources'], { requests: { memory: '300Mi' } });
    expect(dir.errorsOf('prod', 'vultr')).toEqual([
      expect.stringMatching(/: resources\.requests\.memory: is 300Mi \(314572800 bytes\), below the 512Mi/),
    ]);
  });

  test('an invoker budget on an image before 1.7 is refused: the server would ignore it', () => {
    dir.set(PROD, ['restate', 'memory'], { invoker: '256Mi' });
    expect(dir.errorsOf('prod', 'vultr')).toEqual([
      `${prod()}: restate.memory.invoker: has no effect on restatedev/restate:1.4.4: worker.invoker.memory-limit exists from Restate 1.7.0, the image is 1.4.4`,
    ]);
  });

  test('explicit budgets within 3/4 of the limit load', () => {
    dir.set(PROD, ['restate', 'memory'], { rocksdbTotal: '4Gi', queryEngine: '1Gi', recordCache: '256Mi' });
    expect(loadTargetValues(dir.path, 'prod', 'vultr').values.restate.memory?.rocksdbTotal).toBe('4Gi');
  });

  test('derived budgets alone are never refused: the rule keeps them under 3/4 (at 512Mi and at 1Ti)', () => {
    for (const memory of ['512Mi', '1Ti']) {
      dir.set(PROD, ['resources'], { requests: { memory }, limits: { memory } });
      dir.set(PROD, ['image'], 'restatedev/restate:1.7.12');
      expect(loadTargetValues(dir.path, 'prod', 'vultr').values.resources?.limits?.memory).toBe(memory);
    }
  });
});
