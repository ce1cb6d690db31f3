import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DRAIN_SCRIPT_PATH, DrainExit, drainScriptArgs } from '../../../lib/stack/day-two/drain-script';

/** Runs drain.sh with the real dash/sh and a PATH of our choosing. */
function drain(args: string[], path = '/usr/bin:/bin') {
  const r = spawnSync('/bin/sh', [DRAIN_SCRIPT_PATH, ...args], { encoding: 'utf8', env: { PATH: path }, timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('drainScriptArgs', () => {
  test("GIVEN from, to, an address and bounds WHEN turned into arguments THEN they come in the script's order", () => {
    expect(
      drainScriptArgs({ from: 5, to: 3, address: 'http://restate-0.restate-cluster:5122', deadlineSeconds: 60, intervalSeconds: 1 }),
    ).toEqual(['--from', '5', '--to', '3', '--address', 'http://restate-0.restate-cluster:5122', '--deadline', '60', '--interval', '1']);
  });

  test('GIVEN an increase, a bad address or a fractional bound WHEN turned into arguments THEN each is refused', () => {
    expect(() => drainScriptArgs({ from: 3, to: 5 })).toThrow('to (5) must be less than from (3)');
    expect(() => drainScriptArgs({ from: 5, to: 3, address: 'restate-0:5122' })).toThrow('http(s) URLs');
    expect(() => drainScriptArgs({ from: 5, to: 3, deadlineSeconds: 1.5 })).toThrow('deadlineSeconds must be a whole number');
  });
});

describe('drain.sh', () => {
  test('GIVEN --to not below --from WHEN run THEN it exits 2 with the reason and the usage', () => {
    const r = drain(['--from', '3', '--to', '3']);
    expect(r.code).toBe(DrainExit.USAGE);
    expect(r.err).toContain('--to (3) must be less than --from (3): a drain removes nodes');
    expect(r.err).toContain('usage: drain.sh');
  });

  test('GIVEN a missing --from or an unknown option WHEN run THEN it exits 2 naming it', () => {
    expect(drain(['--to', '3']).err).toContain("--from must be a whole number, at least 1 (got '')");
    expect(drain(['--from', '5', '--to', '3', '--force', 'yes']).err).toContain('unknown option: --force');
  });

  test('GIVEN a PATH without restatectl WHEN run THEN it exits 3 saying so', () => {
    const empty = mkdtempSync(join(tmpdir(), 'drain-path-'));
    try {
      const r = drain(['--from', '5', '--to', '3'], empty);
      expect(r.code).toBe(DrainExit.NO_RESTATECTL);
      expect(r.err).toContain('restatectl is not on PATH');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
