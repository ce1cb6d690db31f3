import { spawnSync } from 'node:child_process';
import * as TOML from '@iarna/toml';
import { join } from 'node:path';
import { PROVISION_SCRIPT_PATH, provisionScript, provisionScriptArgs, ProvisionExit } from '../../lib/stack/provisioning/script';
import { resolveRestateBinaries } from '../../lib/verify/binaries';
import { clusterHostsFile } from '../../lib/verify/hosts';
import { runInSandbox } from '../../lib/verify/sandbox';
import { clusterWith, productConfig } from '../support/restate-fixtures';
import type { ScenarioInput, ScenarioRecord } from '../support/restate-provision-scenario';

// Real restate-server and restatectl binaries from npm, in a network namespace with only loopback.
const UNREACHABLE_DEADLINE_S = 3;
const PARTIAL_DEADLINE_S = 12;
/** What the runs after provisioning ask for: every node of the 3 holds a copy. */
const RAISED_REPLICATION = 3;

describe('provision.sh against a real 3-node cluster', () => {
  let record: ScenarioRecord;
  let configured: unknown;

  beforeAll(async () => {
    // GIVEN a fresh 3-node cluster with the config the product ships for dev/vultr
    const cluster = clusterWith(productConfig('dev', 'vultr'), { replicas: 3 });
    configured = TOML.parse(cluster.config)['default-replication'];
    // WHEN the scenario provisions it twice, then tries a node that does not answer
    const outcome = await runInSandbox<ScenarioInput, ScenarioRecord>({
      entry: join(__dirname, '..', 'support', 'restate-provision-scenario.ts'),
      input: {
        cluster,
        binaries: resolveRestateBinaries(),
        unreachableDeadlineSeconds: UNREACHABLE_DEADLINE_S,
        partialDeadlineSeconds: PARTIAL_DEADLINE_S,
        ensureReplication: RAISED_REPLICATION,
      },
      hosts: clusterHostsFile(cluster.replicas, cluster.name),
      deadlineMs: 240_000,
      output: 'capture',
    });
    if (!outcome.result.ok) throw new Error(`scenario failed: ${outcome.result.error}\n${outcome.log}`);
    record = outcome.result.value;
  }, 270_000);

  test('the fresh cluster is not provisioned before the script runs', () => {
    // THEN restatectl status, the script's probe, reports it unprovisioned (exit 1)
    expect(record.statusBefore).toBe(1);
  });

  test('the first run provisions the cluster and succeeds only once it serves: every pod a metadata member, every partition led', () => {
    // THEN it exits 0, says it provisioned, waited for the cluster to serve, and restatectl status exits 0 afterwards
    expect(record.first.stderr).toBe('');
    expect(record.first.code).toBe(ProvisionExit.OK);
    expect(record.first.stdout).toContain(
      'provision: restatectl provision: cluster has been successfully provisioned; waiting for restatectl status',
    );
    expect(record.first.stdout).toContain('provision: waiting for the cluster to serve: ');
    expect(record.first.stdout).toMatch(
      /provision: done: the cluster is provisioned and serving: 3 of 3 pods are metadata members, 128 of 128 partitions have an active leader\n$/,
    );
    expect(record.statusAfterFirst).toBe(0);
    expect(record.tableAfterFirst.partitions).toBe(128);
  });

  test('a second run, with the script on stdin as `kubectl exec … sh -s` gets it, succeeds without change', () => {
    // THEN it exits 0 without calling restatectl provision, and the partition table is the same
    expect(record.second.code).toBe(ProvisionExit.OK);
    expect(record.second.stdout).toContain('provision: done: the cluster is already provisioned, nothing to do');
    expect(record.second.stdout).not.toContain('running restatectl provision');
    expect(record.tableAfterSecond).toEqual(record.tableAfterFirst);
  });

  test('a provisioned cluster keeps its replication when provisioned again with another; --ensure-replication changes it', () => {
    // GIVEN the cluster provisioned with the config's default-replication, below the raised one
    expect(typeof configured).toBe('number');
    expect(configured).toBeLessThan(RAISED_REPLICATION);
    const provisioned = `{node: ${configured}}`;
    const raised = `{node: ${RAISED_REPLICATION}}`;
    expect(record.replicationAfterFirst).toEqual({ log: provisioned, partition: provisioned });
    // THEN `restatectl provision --replication 3` is turned away (exit 0 all the same) and changes nothing
    expect(record.provisionAgain.code).toBe(0);
    expect(record.provisionAgain.stdout).toContain('Cluster has been provisioned by somebody else.');
    expect(record.replicationAfterProvisionAgain).toEqual({ log: provisioned, partition: provisioned });
    // AND the script with --ensure-replication 3, as the provisioning Job and `mise run provision` run it, sets it
    expect(record.ensure.code).toBe(ProvisionExit.OK);
    expect(record.ensure.stdout).toContain('provision: done: the cluster is already provisioned, nothing to do');
    expect(record.ensure.stdout).toContain(
      `provision: replication: logs ${provisioned}, partitions ${provisioned}; setting ${raised} on 3 nodes (restatectl config set)`,
    );
    expect(record.ensure.stdout).toContain(`provision: replication: done: logs and partitions replicated ${raised}`);
    expect(record.replicationAfterEnsure).toEqual({ log: raised, partition: raised });
  });

  test('an unreachable node makes it fail non-zero within its deadline, with the reason', () => {
    // THEN it exits 1 within the deadline (whole seconds, plus the time to start the shell)
    expect(record.unreachable.code).toBe(ProvisionExit.FAILED);
    expect(record.unreachable.ms).toBeLessThan((UNREACHABLE_DEADLINE_S + 1) * 1000);
    expect(record.unreachable.stderr).toContain(
      `provision: error: the cluster was not provisioned within the deadline of ${UNREACHABLE_DEADLINE_S}s`,
    );
    expect(record.unreachable.stderr).toContain('tcp connect error');
  });

  test('with 1 of 3 nodes up, a first provisioning fails at its deadline although restatectl status exits 0', () => {
    // GIVEN restate-1 and restate-2 down THEN provision succeeds and status exits 0, but the script does not claim success
    expect(record.partialStatus).toBe(0);
    expect(record.partial.code).toBe(ProvisionExit.FAILED);
    expect(record.partial.stdout).toContain('cluster has been successfully provisioned');
    expect(record.partial.stderr).toMatch(
      new RegExp(
        `provision: error: the cluster was provisioned, but did not serve within the deadline of ${PARTIAL_DEADLINE_S}s: .*0 of 128 partitions have an active leader`,
      ),
    );
    // AND the progress lines name what is missing
    expect(record.partial.stdout).toMatch(/provision: waiting for the cluster to serve: .*not members yet:.*restate-1/);
  });

  test('a later run on that provisioned but degraded cluster reports it provisioned at once', () => {
    // THEN a sync during a node outage does not fail because of the outage
    expect(record.partialAgain.code).toBe(ProvisionExit.OK);
    expect(record.partialAgain.stdout).toContain('provision: done: the cluster is already provisioned, nothing to do');
    expect(record.partialAgain.ms).toBeLessThan(5_000);
  });

  test('the shared cluster start-up stops with a clear message when a port is taken', () => {
    // GIVEN 127.0.0.2:9070 held by another listener THEN starting the nodes fails at once, naming port and node
    expect(record.portTakenError).toBe(
      'port 127.0.0.2:9070 (admin of restate-1) is already taken by another process; stop it and run again',
    );
  });
});

describe('provision.sh arguments', () => {
  function run(args: string[]) {
    // Usage errors stop the script before it calls restatectl, so no server is needed.
    return spawnSync('sh', [PROVISION_SCRIPT_PATH, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  }

  test.each([
    [['--deadline', '0'], '--deadline must be a whole number of seconds, at least 1'],
    [['--interval', '08'], '--interval must be a whole number of seconds, at least 1'],
    [['--num-partitions', '70000'], '--num-partitions must be a whole number from 1 to 65535'],
    [['--replication', 'two'], "--replication must be a number of nodes (at least 1) or a property like '{node: 2}'"],
    [['--address'], '--address needs a value'],
    [['--replicas', '0'], '--replicas must be a whole number from 1 to 1000'],
    [['--colour', 'red'], 'unknown option: --colour'],
  ])('%j is a usage error (exit 2) naming the problem', (args, message) => {
    // WHEN the script gets these arguments THEN it stops with exit 2, the reason and the usage
    const result = run(args);
    expect(result.status).toBe(ProvisionExit.USAGE);
    expect(result.stderr).toContain(`provision: error: ${message}`);
    expect(result.stderr).toContain('usage: provision.sh');
  });

  test('without restatectl on PATH it says so (exit 3)', () => {
    // GIVEN a PATH without restatectl WHEN the script runs THEN it says what is missing
    const result = run(['--deadline', '5']);
    expect(result.status).toBe(ProvisionExit.NO_RESTATECTL);
    expect(result.stderr).toContain('provision: error: restatectl is not on PATH');
  });

  test('the argument list is built from typed options, leaving out what is not set', () => {
    // THEN no options give no arguments (the script's defaults), and each option its flag
    expect(provisionScriptArgs()).toEqual([]);
    expect(
      provisionScriptArgs({
        address: ['http://restate-0.restate-cluster.restate-dev.svc:5122', 'http://restate-1.restate-cluster.restate-dev.svc:5122'],
        deadlineSeconds: 600,
        intervalSeconds: 5,
        numPartitions: 128,
        replication: 2,
        replicas: 3,
      }),
    ).toEqual([
      '--address',
      'http://restate-0.restate-cluster.restate-dev.svc:5122,http://restate-1.restate-cluster.restate-dev.svc:5122',
      '--deadline',
      '600',
      '--interval',
      '5',
      '--num-partitions',
      '128',
      '--replication',
      '2',
      '--replicas',
      '3',
    ]);
  });

  test('bad options are refused before anything runs', () => {
    // THEN each bad option throws with its name and value
    expect(() => provisionScriptArgs({ deadlineSeconds: 1.5 })).toThrow(
      'deadlineSeconds must be a whole number of seconds, at least 1 (got 1.5)',
    );
    expect(() => provisionScriptArgs({ address: 'restate-0:5122' })).toThrow('address must be one or more http(s) URLs');
    expect(() => provisionScriptArgs({ replication: '{node 2' })).toThrow('replication must be a node count');
    expect(() => provisionScriptArgs({ ensureReplication: 0 })).toThrow('ensureReplication must be a node count');
  });

  test('the replication step and the serving gate are flags of their own, after the others', () => {
    // THEN --ensure-replication takes a count or a property, --wait-serving no value
    expect(provisionScriptArgs({ replicas: 5, ensureReplication: 3, waitServing: true })).toEqual([
      '--replicas',
      '5',
      '--ensure-replication',
      '3',
      '--wait-serving',
    ]);
    expect(provisionScriptArgs({ ensureReplication: '{node: 3}' })).toEqual(['--ensure-replication', '{node: 3}']);
    // AND the script refuses a malformed --ensure-replication before it calls restatectl
    const bad = spawnSync('sh', [PROVISION_SCRIPT_PATH, '--ensure-replication', 'three'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(bad.status).toBe(ProvisionExit.USAGE);
    expect(bad.stderr).toContain(
      "--ensure-replication must be a number of nodes (at least 1) or a property like '{node: 2}' (got 'three')",
    );
  });

  test('the script text is the file shipped in the ConfigMap, a POSIX sh script', () => {
    // THEN the text starts with its interpreter line and dash (the image's /bin/sh) accepts its syntax
    expect(provisionScript().startsWith('#!/bin/sh\n')).toBe(true);
    expect(spawnSync('dash', ['-n', PROVISION_SCRIPT_PATH]).status).toBe(0);
  });
});
