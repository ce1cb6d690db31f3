import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { normalizeCommand, scriptCommands, type ShellBlock, shellBlocks, shellWords } from './support/doc-commands';
import { closedKubeconfig } from './support/closed-kubeconfig';
import { FIXTURE_VALUES } from './support/values-dir';
import { runSynth } from '../lib/synth/run';

// Every command the README and docs/ show in a fenced sh block is run: by CI (.ci/run), by this test (the synth
// command lines CI does not run, in a scratch copy of the repository), or, in a block marked `# needs a cluster`,
// parsed by the real kubectl client (no API server here: a well-formed command fails only at connecting) and,
// for mise tasks, run against the kubectl stand-in by test/deploy/mise.test.ts.
const REPO = resolve(__dirname, '..');
const KUBECTL = '/usr/bin/kubectl';
const docFiles = [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((n) => n.endsWith('.md'))
    .sort()
    .map((n) => `docs/${n}`),
];
const blocks = docFiles.flatMap((file) => shellBlocks(file, readFileSync(join(REPO, file), 'utf8')));
const ciCommands = new Set(scriptCommands(readFileSync(join(REPO, '.ci', 'run'), 'utf8')).map(normalizeCommand));
const miseTest = readFileSync(join(REPO, 'test', 'deploy', 'mise.test.ts'), 'utf8');
const miseToml = readFileSync(join(REPO, 'mise.toml'), 'utf8');

type HowRun = 'ci' | 'synth here' | 'kubectl' | 'mise stand-in' | 'shell' | 'needs a tool' | undefined;

/** How a command of a block is run, or undefined when nothing runs it. */
function howRun(block: ShellBlock, command: string, ci = ciCommands): HowRun {
  const normalized = normalizeCommand(command);
  if (ci.has(normalized)) return 'ci';
  if (/^npm run synth( |$)/.test(normalized)) return 'synth here';
  if (block.needs?.startsWith('a cluster')) {
    if (/^kubectl /.test(normalized) || /^for \w+ in \$\(kubectl .*\); do$/.test(normalized)) return 'kubectl';
    if (/^mise run \S+/.test(normalized)) return 'mise stand-in';
    if (/^[A-Z_]+=\S+$/.test(normalized) || normalized === 'done') return 'shell';
  } else if (block.needs !== undefined) {
    return 'needs a tool';
  }
  return undefined;
}

function where(block: ShellBlock): string {
  return `${block.file}:${block.line}`;
}

/** The kubectl command lines of the cluster blocks, with the block's variables substituted, and their stdin. */
function kubectlCommands(): Array<{ where: string; words: string[]; stdin: string }> {
  const found: Array<{ where: string; words: string[]; stdin: string }> = [];
  for (const block of blocks.filter((b) => b.needs?.startsWith('a cluster'))) {
    const vars = new Map<string, string>();
    let heredoc = 0;
    for (const command of block.commands) {
      const assignment = /^([A-Z_]+)=(\S+)$/.exec(command);
      if (assignment) vars.set(assignment[1], assignment[2]);
      const inner = /^for \w+ in \$\((kubectl .*)\); do$/.exec(command)?.[1] ?? (/^kubectl /.test(command) ? command : undefined);
      if (!inner) continue;
      const text = inner.replace(/\$\{?([A-Z_]+)\}?/g, (whole, name: string) => vars.get(name) ?? whole);
      const words = shellWords(text).slice(1);
      const stdin = words.includes('-') ? (block.heredocs[heredoc++] ?? '').replace(/\$\([^)]*\)|\$\{[^}]*\}/g, 'x') : '';
      found.push({ where: where(block), words, stdin });
    }
  }
  return found;
}

// A scratch git repository holding this one's app, the tests' values as values/ and their synthesized dist/, main
// as origin/main, and a copy of the values beside it (for --values-dir ../my-values): what the docs' commands name,
// as the docs describe it, whatever the user's values/ and dist/ say.
let scratchRepo: string;
beforeAll(() => {
  scratchRepo = mkdtempSync(join(tmpdir(), 'restate-stack-docs-repo-'));
  const repo = join(scratchRepo, 'repo');
  for (const name of ['main.ts', 'package.json', 'tsconfig.json', 'cdk8s.yaml', 'lib', 'imports', 'scripts']) {
    cpSync(join(REPO, name), join(repo, name), { recursive: true });
  }
  cpSync(FIXTURE_VALUES, join(repo, 'values'), { recursive: true });
  cpSync(FIXTURE_VALUES, join(scratchRepo, 'my-values'), { recursive: true });
  runSynth({ valuesDir: join(repo, 'values'), outdir: join(repo, 'dist'), allowStorageChange: false });
  symlinkSync(join(REPO, 'node_modules'), join(repo, 'node_modules'));
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n.synth-*\n');
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], { cwd: repo, encoding: 'utf8' });
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
    ['commit', '-qm', 'scratch'],
    ['update-ref', 'refs/remotes/origin/main', 'HEAD'],
  ]) {
    expect(git(...args).status).toBe(0);
  }
}, 120_000);
afterAll(() => rmSync(scratchRepo, { recursive: true, force: true }));

describe('the commands the README and docs/ show', () => {
  test('each is run by CI, by this test, or marked as needing a cluster and checked without one', () => {
    // GIVEN every command of every sh block
    const unrun = blocks.flatMap((block) =>
      block.commands.filter((c) => howRun(block, c) === undefined).map((c) => `${where(block)}: ${c}`),
    );
    // THEN none is left that nothing runs
    expect(blocks.length).toBeGreaterThan(5);
    expect(unrun).toEqual([]);
  });

  test('a command nothing runs is found (the check above can fail)', () => {
    // GIVEN a block that shows one command CI runs and one it does not, and a cluster block with an unknown tool
    const [plain, cluster] = shellBlocks('x.md', '```sh\nnpm test\nrm -rf build\n```\n```sh\n# needs a cluster\nhelm list\n```\n');
    // THEN only the two unknown commands are unrun
    expect(plain.commands.map((c) => howRun(plain, c, new Set(['npm test'])))).toEqual(['ci', undefined]);
    expect(cluster.commands.map((c) => howRun(cluster, c))).toEqual([undefined]);
  });

  describe('marked as needing a cluster', () => {
    let scratch: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(() => {
      ({ dir: scratch, env } = closedKubeconfig('restate-dev'));
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    test('every kubectl command is accepted by the real kubectl client, failing only on the missing server', () => {
      // GIVEN the kubectl commands of the cluster blocks, run from the scratch repository (for the dist/ files they name)
      const commands = kubectlCommands();
      expect(commands.length).toBeGreaterThan(5);
      // WHEN the real client runs each against a closed loopback port
      const rejected = commands
        .map((c) => ({
          c,
          run: spawnSync(KUBECTL, c.words, { cwd: join(scratchRepo, 'repo'), env, input: c.stdin, encoding: 'utf8', timeout: 30_000 }),
        }))
        .filter(({ run }) => !(run.status !== 0 && /127\.0\.0\.1:9.*(refused|connect)/s.test(run.stderr)))
        .map(({ c, run }) => `${c.where}: kubectl ${c.words.join(' ')}: exit ${run.status}: ${run.stderr.trim().split('\n').pop()}`);
      // THEN each got as far as connecting
      expect(rejected).toEqual([]);
    });

    test('every mise task is one the mise tests run against the kubectl stand-in, with flags the task declares', () => {
      // GIVEN the mise commands of the cluster blocks
      const commands = blocks
        .filter((b) => b.needs?.startsWith('a cluster'))
        .flatMap((b) => b.commands.filter((c) => /^mise run /.test(c)).map((c) => ({ b, c })));
      expect(commands.length).toBeGreaterThan(0);
      const problems = commands.flatMap(({ b, c }) => {
        const [, , task, ...rest] = shellWords(c);
        const section = miseToml.split(/^\[tasks\./m).find((s) => s.startsWith(`"${task}"]`) || s.startsWith(`${task}]`));
        const ranByTest = miseTest.includes(`'run', '${task}'`) || ciCommands.has(normalizeCommand(c));
        const undeclared = rest
          .filter((w) => w.startsWith('--'))
          .filter((flag) => !section?.includes(`${flag} `) && !section?.includes(`${flag}"`));
        return [
          ...(section ? [] : [`${where(b)}: ${c}: no task ${task} in mise.toml`]),
          ...(ranByTest ? [] : [`${where(b)}: ${c}: neither CI nor test/deploy/mise.test.ts runs ${task}`]),
          ...undeclared.map((flag) => `${where(b)}: ${c}: ${task} declares no ${flag}`),
        ];
      });
      // THEN each task exists, is exercised against the stand-in, and accepts the flags shown
      expect(problems).toEqual([]);
    });
  });

  describe('synth command lines CI does not run', () => {
    test('each synth command the docs show succeeds as written', () => {
      const commands = [...new Set(blocks.flatMap((b) => b.commands.filter((c) => howRun(b, c) === 'synth here')))];
      expect(commands.length).toBeGreaterThan(0);
      // WHEN each runs as written, in the scratch repository
      const failed = commands
        .map((command) => ({
          command,
          run: spawnSync('sh', ['-c', command], {
            cwd: join(scratchRepo, 'repo'),
            encoding: 'utf8',
            timeout: 120_000,
            env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
          }),
        }))
        .filter(({ run }) => run.status !== 0 || !run.stdout.includes('synthesized '))
        .map(({ command, run }) => `${command}: exit ${run.status}: ${run.stderr.trim().split('\n').pop()}`);
      // THEN each exits 0 and reports what it synthesized
      expect(failed).toEqual([]);
    }, 300_000);
  });
});
