import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { locateTarget } from '../../lib/deploy/target';
import { OutputLock } from '../../lib/synth/lock';
import { runSynth } from '../../lib/synth/run';
import { OUTPUT_MARKER, SYNTH_JOURNAL } from '../../lib/target-folder/files';
import { loadTargets, loadTargetValues, targetDir } from '../../lib/values';
import { readClusterUnderTest } from '../../lib/verify/cluster-spec';
import { readTree } from '../support/tree';
import { FIXTURE_VALUES, ValuesDir } from '../support/values-dir';

const ROOT = resolve(__dirname, '..', '..');
const RUN = join(ROOT, 'scripts', 'bundle-cache', 'run.js');
const TARGETS = loadTargets(FIXTURE_VALUES).map(targetDir);

// The old output is the repository's values; the new one differs in every target's cluster file.
const newValues = new ValuesDir().set('base.yaml', ['restate', 'defaultNumPartitions'], 64);
const scratch = mkdtempSync(join(tmpdir(), 'restate-stack-atomic-'));
afterAll(() => {
  newValues.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const synthOld = (outdir: string) => runSynth({ valuesDir: FIXTURE_VALUES, outdir, allowStorageChange: false });
const synthNew = (outdir: string, options = {}) => runSynth({ valuesDir: newValues.path, outdir, allowStorageChange: false }, options);

function treesOf(outdir: string): Map<string, Record<string, string>> {
  return new Map(TARGETS.map((folder) => [folder, readTree(join(outdir, folder))]));
}
const OLD = (() => {
  const outdir = join(scratch, 'reference-old');
  synthOld(outdir);
  return treesOf(outdir);
})();
const NEW = (() => {
  const outdir = join(scratch, 'reference-new');
  synthNew(outdir);
  return treesOf(outdir);
})();

/** Every target folder is wholly old or wholly new; one may be missing only while the journal says a move is pending. */
function expectWhole(outdir: string, label: string): { pending: boolean; mixed: boolean } {
  const pending = existsSync(join(outdir, SYNTH_JOURNAL));
  const states = TARGETS.map((folder) => {
    const tree = readTree(join(outdir, folder));
    if (JSON.stringify(tree) === JSON.stringify(OLD.get(folder))) return 'old';
    if (JSON.stringify(tree) === JSON.stringify(NEW.get(folder))) return 'new';
    if (Object.keys(tree).length === 0 && pending) return 'pending';
    return `broken: ${Object.keys(tree).join(', ')}`;
  });
  expect([label, states.filter((state) => state.startsWith('broken'))]).toEqual([label, []]);
  return { pending, mixed: new Set(states).size > 1 };
}

/** After a complete synth: only the marker and the environment folders, all targets new. */
function expectNewAndClean(outdir: string, label: string): void {
  expect([label, readdirSync(outdir).sort()]).toEqual([label, [OUTPUT_MARKER, 'dev', 'prod', 'staging']]);
  expect([label, [...treesOf(outdir)]]).toEqual([label, [...NEW]]);
}

describe('a synth interrupted at any step of moving target folders into place', () => {
  // The steps of one full synth's commit, in order, as the output records them.
  const steps: string[] = [];
  synthOld(join(scratch, 'steps'));
  synthNew(join(scratch, 'steps'), { onCommitStep: (step: string) => steps.push(step) });

  test('records every move (aside and in place for each target), the journal and the cleanup', () => {
    expect(steps[0]).toBe('journal');
    for (const target of TARGETS) {
      expect(steps.indexOf(`aside ${target}`)).toBeGreaterThan(0);
      expect(steps.indexOf(`in place ${target}`)).toBe(steps.indexOf(`aside ${target}`) + 1);
    }
    expect(steps).toHaveLength(1 + 2 * TARGETS.length + 2);
    expect(steps.slice(-2)).toEqual(['journal removal', 'staging removal']);
  });

  test.each(steps.map((step, index) => [index, step]))(
    '#%i (%s): each target whole, readers refuse while a move is pending, the next synth finishes',
    (index, step) => {
      // GIVEN the old output, and a synth of the new values that dies right before this step
      const outdir = join(scratch, `step-${index}`);
      synthOld(outdir);
      expect(() =>
        synthNew(outdir, {
          onCommitStep: (at: string) => {
            if (at === step) throw new Error(`killed before ${at}`);
          },
        }),
      ).toThrow(`killed before ${step}`);

      // THEN every target folder is whole (old or new) or, with the journal there, pending
      const { pending } = expectWhole(outdir, step);
      expect(pending).toBe(index > 0 && step !== 'staging removal');
      if (pending) {
        // deploy and verify refuse to read the output until a synth finished the moves
        const values = loadTargetValues(FIXTURE_VALUES, 'dev', 'vultr').values;
        expect(() => locateTarget(outdir, values)).toThrow(`${join(outdir, SYNTH_JOURNAL)} exists: a synth into ${outdir} was interrupted`);
        expect(() => readClusterUnderTest(outdir, { environment: 'dev', provider: 'vultr' })).toThrow(
          'was interrupted while moving target folders into place',
        );
      }
      // WHEN the next synth runs THEN it finishes (or rolls back) and leaves no staging, journal or lock behind
      const result = synthNew(outdir);
      expectNewAndClean(outdir, step);
      if (index > 0)
        expect(result.warnings).toContainEqual({
          id: 'interrupted-synth-recovered',
          text: expect.stringMatching(/finished the moves of an interrupted synth|removed 1 staging folder/),
        });
    },
  );
});

describe('a full synth SIGKILLed at 25 random moments', () => {
  test('leaves every target folder whole each time, and no litter after the next run', async () => {
    const outdir = join(scratch, 'killed');
    const cli = () =>
      spawn(process.execPath, [RUN, join(ROOT, 'main.ts'), '--values-dir', newValues.path, '--outdir', outdir], {
        cwd: ROOT,
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
        stdio: 'ignore',
      });
    type Child = ReturnType<typeof spawn>;
    /** Runs the CLI and calls `arm` at once (`start`), or when its staging folder or its journal appears in the output folder. */
    type Moment = 'start' | 'staging' | 'journal';
    const run = (at: Moment = 'start', arm: (child: Child) => void = () => undefined) => {
      const child = cli();
      if (at === 'start') arm(child);
      let armed = at === 'start';
      const watcher = watch(outdir, (_event, name) => {
        const appeared = String(name);
        if (!armed && (at === 'staging' ? appeared.startsWith('.synth-staging-') : appeared === SYNTH_JOURNAL)) {
          armed = true;
          arm(child);
        }
      });
      return new Promise<string>((done) =>
        child.on('exit', (code, signal) => {
          watcher.close();
          done(signal ?? String(code));
        }),
      );
    };
    // One whole run (after a warm-up that fills the bundle cache): its duration, and when staging starts.
    synthOld(outdir);
    await run();
    synthOld(outdir);
    const started = Date.now();
    let stagingAt = 0;
    expect(await run('staging', () => (stagingAt = Date.now() - started))).toBe('0');
    const duration = Date.now() - started;
    expect(stagingAt).toBeGreaterThan(0);

    let seed = Date.now() % 2147483647;
    const random = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const outcomes: string[] = [];
    for (let round = 0; round < 25; round++) {
      // GIVEN the old output WHEN a synth of the new values is killed at a random moment: anywhere in its run,
      // once it writes (its staging folder appeared), or within 3 ms of its journal appearing (the moves)
      synthOld(outdir);
      const at = (['start', 'staging', 'journal'] as const)[round % 3]!;
      const span = { start: duration * 1.1, staging: duration - stagingAt, journal: 3 }[at];
      const delay = Math.round(random() * span);
      const label = `round ${round}, SIGKILL ${delay} ms after ${at} (run ${duration} ms, staging at ${stagingAt} ms, seed ${seed})`;
      let timer: NodeJS.Timeout | undefined;
      const how = await run(at, (child) => (timer = setTimeout(() => child.kill('SIGKILL'), delay)));
      clearTimeout(timer);
      // THEN every target folder is whole
      const { pending, mixed } = expectWhole(outdir, label);
      outcomes.push(`${at}: ${how}${pending ? ' pending' : ''}${mixed ? ' mixed' : ''}`);
      // and the next run (which takes over the dead synth's lock) leaves everything new and no litter
      synthNew(outdir, { lockWaitMs: 2000 });
      expectNewAndClean(outdir, label);
    }
    expect(outcomes).toHaveLength(25);
    if (process.env.SYNTH_KILL_REPORT) writeFileSync(process.env.SYNTH_KILL_REPORT, `${duration} ms\n${outcomes.join('\n')}\n`);
  }, 240_000);
});

describe('SIGTERM and Ctrl-C (SIGINT)', () => {
  test.each([
    ['SIGTERM', 'journal'],
    ['SIGINT', 'journal'],
    ['SIGINT', 'staging'],
  ] as const)(
    '%s once the %s appears leaves every target whole, and the next run cleans up',
    async (signal, at) => {
      const outdir = join(scratch, `signal-${signal}-${at}`);
      synthOld(outdir);
      const child = spawn(process.execPath, [RUN, join(ROOT, 'main.ts'), '--values-dir', newValues.path, '--outdir', outdir], {
        cwd: ROOT,
        env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
        stdio: 'ignore',
      });
      const watcher = watch(outdir, (_event, name) => {
        if (at === 'journal' ? String(name) === SYNTH_JOURNAL : String(name).startsWith('.synth-staging-')) child.kill(signal);
      });
      await new Promise((done) => child.on('exit', done));
      watcher.close();
      expectWhole(outdir, `${signal} at ${at}`);
      synthNew(outdir, { lockWaitMs: 2000 });
      expectNewAndClean(outdir, `${signal} at ${at}`);
    },
    60_000,
  );
});

describe('two synths racing on one output folder', () => {
  test('both succeed one after the other: every target whole, no stranded folders', async () => {
    // GIVEN the old output WHEN two full synths (old values and new values) start together
    const outdir = join(scratch, 'race');
    synthOld(outdir);
    const start = (values: string) =>
      new Promise<number | null>((done) =>
        spawn(process.execPath, [RUN, join(ROOT, 'main.ts'), '--values-dir', values, '--outdir', outdir], {
          cwd: ROOT,
          env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
          stdio: 'ignore',
        }).on('exit', done),
      );
    const codes = await Promise.all([start(FIXTURE_VALUES), start(newValues.path), start(newValues.path)]);
    // THEN all succeed, and the output is whole and of one of them, with nothing left over
    expect(codes).toEqual([0, 0, 0]);
    const { pending, mixed } = expectWhole(outdir, 'race');
    expect([pending, mixed]).toEqual([false, false]);
    expect(readdirSync(outdir).sort()).toEqual([OUTPUT_MARKER, 'dev', 'prod', 'staging']);
  }, 60_000);
});

describe('the lock on the output folder', () => {
  test('a second synth waits briefly, then fails naming the holder, and changes nothing', () => {
    // GIVEN an output whose lock a live process (this one) holds
    const outdir = join(scratch, 'locked');
    synthOld(outdir);
    const before = readTree(outdir);
    const lock = OutputLock.acquire(outdir, outdir);
    try {
      // WHEN another synth runs
      const started = Date.now();
      expect(() => synthNew(outdir, { lockWaitMs: 400 })).toThrow(
        new RegExp(
          `another synth is writing ${outdir} \\(process ${process.pid} on .*, lock ${join(outdir, '.synth-lock')}\\); waited 400 ms. Run again once it has finished`,
        ),
      );
      // THEN it waited, and the output is as it was
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(readTree(outdir)).toEqual({ ...before, '.synth-lock': expect.any(String) });
    } finally {
      lock.release();
    }
    expect(existsSync(join(outdir, '.synth-lock'))).toBe(false);
  });

  test('a lock left by a killed synth is stale and taken over', () => {
    // GIVEN a lock taken by a process that was then SIGKILLed
    const outdir = join(scratch, 'stale');
    synthOld(outdir);
    const child = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        '-e',
        `require(${JSON.stringify(join(ROOT, 'lib/synth/lock'))}).OutputLock.acquire(${JSON.stringify(outdir)}, 'x'); process.kill(process.pid, 'SIGKILL')`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(child.status).not.toBe(0);
    expect(existsSync(join(outdir, '.synth-lock'))).toBe(true);
    // WHEN / THEN the next synth does not wait for it
    const started = Date.now();
    synthNew(outdir, { lockWaitMs: 5000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expectNewAndClean(outdir, 'stale lock');
  });

  test('lock, journal and staging names are ignored by git; the marker is not', () => {
    const names = [
      'dist/.synth-lock',
      'dist/.synth-lock.123',
      `dist/${SYNTH_JOURNAL}`,
      'dist/.synth-staging-AbC123',
      `dist/${OUTPUT_MARKER}`,
    ];
    const result = spawnSync('git', ['check-ignore', '--no-index', ...names], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(names.slice(0, 4));
  });
});

describe("an interrupted synth's journal", () => {
  test('that is not a synth journal is refused, not followed: nothing moves', () => {
    const outdir = join(scratch, 'bad-journal');
    synthOld(outdir);
    writeFileSync(join(outdir, SYNTH_JOURNAL), '{"staging":".synth-staging-x","moves":[{"folder":"../../etc","staged":false}]}\n');
    const before = readTree(outdir);
    expect(() => synthNew(outdir)).toThrow(`${join(outdir, SYNTH_JOURNAL)} cannot be read (a move that is not of a target folder)`);
    expect(readTree(outdir)).toEqual(before);
  });

  test('names the folder and what to run for every reader', () => {
    const outdir = join(scratch, 'journal');
    synthOld(outdir);
    writeFileSync(join(outdir, SYNTH_JOURNAL), '{"staging":".synth-staging-gone","moves":[]}\n');
    expect(() => readClusterUnderTest(outdir, { environment: 'dev', provider: 'vultr' })).toThrow(
      'Run `npm run synth` (or deploy:build) again',
    );
    synthOld(outdir);
    expect(existsSync(join(outdir, SYNTH_JOURNAL))).toBe(false);
  });
});
