import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deadline } from '../../lib/verify/deadline';
import { pidAlive } from '../../lib/verify/pids';
import { Restatectl } from '../../lib/verify/restatectl';
import { S3StandIn } from '../../lib/verify/s3-stand-in';
import { checkSnapshotsLand } from '../../lib/verify/snapshot-check';

// The real s3rver from npm, on 127.0.0.1 only, at a port that was free a moment ago.
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function put(store: S3StandIn, bucket: string, key: string, body: string): Promise<number> {
  const url = new URL(`${store.endpoint.url}/${bucket}/${key}`);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'PUT', headers: { 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A precise stand-in for `restatectl snapshots create-snapshot ID…`: checks its arguments, records them, and
 * writes into the S3 stand-in what Restate writes per partition (a snapshot folder, then latest.json), or a
 * broken variant (MODE=dangling: a pointer to a folder that is not there; MODE=none: nothing). A backslash at a line's end
 * joins that line with the next (a template literal's line continuation), so the script is the same as on one line.
 */
const FAKE_RESTATECTL = `
const http = require('node:http');
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.writeFileSync(process.env.ARGS_FILE, JSON.stringify(args));
if (args[0] !== '--address' || args[2] !== 'snapshots' || args[3] !== 'create-snapshot') { console.error('unexpected arguments ' + args.join(' ')); process.exit(2); }
const ids = args.slice(4);
const put = (key, body) => new Promise((resolve, reject) => {
  const req = http.request(process.env.S3_URL + '/' + process.env.BUCKET + '/' + key, \
{ method: 'PUT', headers: { 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', resolve); });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  for (const id of ids) {
    const folder = 'lsn_00000000000000000002-snap_' + id;
    if (process.env.MODE === 'complete') await put(process.env.PREFIX + '/' + id + '/' + folder + '/metadata.json', '{}');
    if (process.env.MODE !== 'none') await put(process.env.PREFIX + '/' + id + '/latest.json', JSON.stringify({ \
partition_id: Number(id), cluster_name: 'restate-dev', node_name: 'restate-' + id, path: folder }));
    console.log('Snapshot created for partition ' + id + ': snap_' + id);
  }
})();
`;

describe('the S3 stand-in (s3rver from npm) and the snapshot check', () => {
  let dir: string;
  let store: S3StandIn;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rsv-s3-test-'));
    store = new S3StandIn({ bucket: 'restate', workDir: dir, ip: '127.0.0.1', port: await freePort() });
    await store.start(Deadline.in(15_000));
  }, 20_000);

  afterAll(async () => {
    await store.stop();
    store.removeFiles();
    rmSync(dir, { recursive: true, force: true });
  });

  function restatectl(mode: 'complete' | 'dangling' | 'none', prefix: string) {
    const script = join(dir, `restatectl-${mode}`);
    writeFileSync(script, `#!${process.execPath}\n${FAKE_RESTATECTL}`);
    chmodSync(script, 0o755);
    const argsFile = join(dir, `args-${mode}.json`);
    const env = { PATH: '/usr/bin:/bin', MODE: mode, S3_URL: store.endpoint.url, BUCKET: 'restate', PREFIX: prefix, ARGS_FILE: argsFile };
    return { ctl: new Restatectl(script, env), args: () => JSON.parse(readFileSync(argsFile, 'utf8')) as string[] };
  }

  test('serves the configured bucket and lists every object under a prefix across pages', async () => {
    // GIVEN five objects under a prefix and one outside it, in the bucket created at start
    for (const n of [1, 2, 3, 4, 5]) expect(await put(store, 'restate', `list-test/p/${n}.txt`, 'x'.repeat(n))).toBe(200);
    await put(store, 'restate', 'list-test/other.txt', 'y');

    // WHEN the prefix is listed two keys per page, and one object is read back
    const objects = await store.list('list-test/p/', 2);
    const text = await store.read('list-test/p/3.txt');

    // THEN all five come back with their sizes, and the content is what was written
    expect(objects.map((o) => `${o.key}:${o.size}`)).toEqual([1, 2, 3, 4, 5].map((n) => `list-test/p/${n}.txt:${n}`));
    expect(text).toBe('xxx');
  });

  test('passes when every asked partition has a latest.json pointing to a complete snapshot', async () => {
    // GIVEN a restatectl that writes what Restate writes
    const { ctl, args } = restatectl('complete', 'ok/snapshots');

    // WHEN partitions 0 and 3 are snapshotted and checked
    const outcome = await checkSnapshotsLand({
      ctl,
      addresses: ['http://restate-0.restate-cluster:5122'],
      store,
      destination: { url: 's3://restate/ok/snapshots', bucket: 'restate', prefix: 'ok/snapshots' },
      partitions: [0, 3],
      clusterName: 'restate-dev',
      deadline: Deadline.in(10_000),
    });

    // THEN restatectl was asked for exactly those partitions, and both snapshots were found with their writers
    expect(args()).toEqual(['--address', 'http://restate-0.restate-cluster:5122', 'snapshots', 'create-snapshot', '0', '3']);
    expect(outcome.partitions).toEqual([0, 3]);
    expect(outcome.writers).toEqual(['restate-0', 'restate-3']);
    expect(outcome.objects).toBe(4);
    expect(outcome.example).toMatch(/^ok\/snapshots\/0\/lsn_.*\/metadata\.json$/);
  });

  test('fails, naming the partition, when latest.json points to a snapshot that is not there', async () => {
    // GIVEN a restatectl after which only the pointers exist
    const { ctl } = restatectl('dangling', 'dangling/snapshots');

    // WHEN partition 1 is snapshotted and checked
    const check = checkSnapshotsLand({
      ctl,
      addresses: ['http://restate-0.restate-cluster:5122'],
      store,
      destination: { url: 's3://restate/dangling/snapshots', bucket: 'restate', prefix: 'dangling/snapshots' },
      partitions: [1],
      clusterName: 'restate-dev',
      deadline: Deadline.in(10_000),
    });

    // THEN the check fails on partition 1's dangling pointer
    await expect(check).rejects.toThrow(
      /partition 1: latest\.json points to lsn_00000000000000000002-snap_1\/, which holds no metadata\.json/,
    );
  });

  test('fails within its deadline, naming the partitions without a snapshot, when nothing lands', async () => {
    // GIVEN a restatectl that reports success but writes nothing
    const { ctl } = restatectl('none', 'none/snapshots');
    const started = Date.now();

    // WHEN partitions 2 and 4 are snapshotted and checked with a 1.5 s deadline
    const check = checkSnapshotsLand({
      ctl,
      addresses: ['http://restate-0.restate-cluster:5122'],
      store,
      destination: { url: 's3://restate/none/snapshots', bucket: 'restate', prefix: 'none/snapshots' },
      partitions: [2, 4],
      clusterName: 'restate-dev',
      deadline: Deadline.in(1500),
    });

    // THEN it fails in time, naming both partitions and what restatectl said
    await expect(check).rejects.toThrow(/no latest\.json yet for partitions 2, 4 .*restatectl said: Snapshot created for partition 4/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('stops by PID and leaves no folder behind', async () => {
    // GIVEN a second stand-in, started
    const other = new S3StandIn({ bucket: 'another-bucket', workDir: dir, ip: '127.0.0.1', port: await freePort() });
    await other.start(Deadline.in(15_000));
    const pid = other.processId()!;
    expect(pidAlive(pid)).toBe(true);

    // WHEN it is stopped from a signal handler's point of view and its files removed
    other.stopSync();
    other.removeFiles();

    // THEN its process is gone and so is its folder
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(other.dir)).toBe(false);
  }, 20_000);

  test('refuses to listen anywhere but loopback', () => {
    // GIVEN an address outside 127.0.0.0/8
    // WHEN a stand-in is made for it
    // THEN it is refused before anything starts
    expect(() => new S3StandIn({ bucket: 'restate', workDir: dir, ip: '0.0.0.0' })).toThrow('may only listen on loopback, not 0.0.0.0');
  });
});
