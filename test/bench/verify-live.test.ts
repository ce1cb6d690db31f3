import { failureOf, reportFigures, renderVerifyBench, type VerifyBench } from '../../scripts/bench/verify-live';

const machine = { cpus: 2, cpuModel: 'AMD EPYC', memoryGiB: 23.5, os: 'Linux', node: 'v20.20.2', loadAtStart: 3.05 };

describe('the verify live benchmark', () => {
  test("reads the ready and fail-over figures from verify's closing report, and nothing from the progress lines", () => {
    // GIVEN a report's progress lines (which say "ready 23.2 s after start") and its summary
    const output = [
      'verify staging/vultr: ok   every partition has an active leader: ready 99.9 s after start',
      '  ready:     23.2 s from start until every partition had an active leader',
      '  fail-over: 2.7 s after SIGKILL of restate-2 until every partition had a live leader',
    ].join('\n');
    // THEN the summary's figures are taken; a report without them gives none
    expect(reportFigures(output)).toEqual({ readySeconds: 23.2, failoverSeconds: 2.7 });
    expect(reportFigures('verify staging/vultr: FAILED')).toEqual({ readySeconds: undefined, failoverSeconds: undefined });
  });

  test("a failed run is told by the report's FAILED line and the line under it, else by the last line", () => {
    const output =
      'verify staging/vultr: FAILED\n  live:      FAILED at "ready":\n    12/128 partitions led after 90 s\nverify: 0 passed, 1 failed\n';
    expect(failureOf(output)).toBe('live:      FAILED at "ready": 12/128 partitions led after 90 s');
    expect(failureOf('Error: spawn restate-server ENOENT\n')).toBe('Error: spawn restate-server ENOENT');
  });

  test('renders each label with its machine, medians over the runs, each run figure, and the failed runs named', () => {
    // GIVEN two labels, the second with a failed run
    const base: VerifyBench = {
      label: 'model',
      date: '2026-12-07',
      commit: '7c7f799aaaaaaaaaaaa',
      machine,
      loadAtEnd: 4,
      targets: {
        'staging/vultr': [
          { ms: 120_000, ok: true, readySeconds: 23.2, failoverSeconds: 2.7 },
          { ms: 100_000, ok: true },
        ],
      },
    };
    const next: VerifyBench = {
      ...base,
      label: 'control plane',
      targets: { 'staging/vultr': [{ ms: 150_000, ok: false, failure: 'exit 1: verify: 0 passed, 1 failed' }] },
    };
    const markdown = renderVerifyBench([base, next]);
    // THEN each label has its table: runs, passed, median/min/max wall time, each run's figures ("–" when absent)
    expect(markdown).toContain('## model\n');
    expect(markdown).toContain('| staging/vultr | 2 | 2 | 110.0 s | 100.0 s | 120.0 s | 23.2 s, – | 2.7 s, – |');
    expect(markdown).toContain('commit 7c7f799aaaaa: 2 CPUs (AMD EPYC), 23.5 GiB, Node.js v20.20.2; 1-minute load average 3.05');
    expect(markdown).toContain('## control plane\n');
    expect(markdown).toContain('| staging/vultr | 1 | 0 | 150.0 s |');
    expect(markdown).toContain('- staging/vultr, run 1: exit 1: verify: 0 passed, 1 failed');
  });
});
