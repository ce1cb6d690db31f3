/**
 * Builds, or finds already built, the control plane the tests run: kube-apiserver, kube-controller-manager,
 * kube-scheduler, kubectl and etcd, compiled from the Go modules pinned by lib/control-plane/go.mod.
 *
 * The binaries live outside the clone, in `${XDG_CACHE_HOME:-~/.cache}/restate-stack/control-plane/<version>-<key>/`
 * (or $RESTATE_STACK_CONTROL_PLANE_CACHE), where the key hashes go.mod (its comments aside), go.sum, `go version` and this file's build
 * recipe: an unchanged pin never rebuilds, and a fresh clone on the same machine finds them. A build writes into a
 * temporary folder beside it and renames it into place once every binary reported its version, so a folder with
 * that name is always whole.
 *
 *   npm run control-plane:build      build if needed, print where the binaries are
 *
 * `npm test` runs the same from jest's global setup when a selected test uses the control plane (test/support/global-setup.ts).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ControlPlaneError, GET_GO } from './errors';
import { goEnvironment, runGo } from './go';
import { goAtLeast, missingReplaces, type Pin, readPin } from './pin';
import { type Progress, stderrProgress } from './progress';

/** The folder of our Go module (go.mod, go.sum). */
export const MODULE_DIR = __dirname;

/** The binaries, and the main package each is built from. */
export const PACKAGES = {
  etcd: 'go.etcd.io/etcd/server/v3',
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
} as const;
export type Binary = keyof typeof PACKAGES;
const BINARIES = Object.keys(PACKAGES) as Binary[];

/**
 * The build recipe, part of the cache key. The tags are those Kubernetes' hack/lib/golang.sh passes for a release
 * (non-debug) build; `-trimpath` and `-s -w` as there too. Change `format` when the way of building changes.
 */
const RECIPE = { format: 1, tags: 'selinux,notest,grpcnotrace', trimpath: true, strip: true, cgo: false, packages: PACKAGES };

/** Where the version of a Kubernetes binary comes from (-X name=value), as Kubernetes' hack/lib/version.sh sets it. */
const VERSION_PACKAGES = ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version'];

/**
 * A cold build measured on the machine this was written on (bench/control-plane-cold.json: 2 cores shared with other
 * work, Go 1.26.8, empty Go caches): the estimate printed before a first build, until this machine has one on record.
 */
const MEASURED_COLD_BUILD = '25 minutes on 2 cores (about 0.5 GB of modules downloaded, 4 GB of Go build cache filled)';

/** The manifest written beside the binaries once they reported their versions. */
export interface ControlPlaneBinaries {
  readonly dir: string;
  /** e.g. `v1.37.2` */
  readonly kubernetes: string;
  /** e.g. `3.7.0` (as `etcd --version` says it) */
  readonly etcd: string;
  /** e.g. `go1.26.8` */
  readonly go: string;
  readonly builtSeconds: number;
  readonly paths: Readonly<Record<Binary, string>>;
}

/** The cache folder: $RESTATE_STACK_CONTROL_PLANE_CACHE, else the user's cache directory (XDG). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RESTATE_STACK_CONTROL_PLANE_CACHE) return env.RESTATE_STACK_CONTROL_PLANE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'restate-stack', 'control-plane');
}

/** The folder name for one pin, Go and recipe: `<kubernetes version>-<16 hex digits>` (go.mod's comments aside). */
export function cacheEntryName(pin: Pin, goMod: string, goSum: string, goVersion: string): string {
  // The link flags too (their build date is the release's, so it stands for itself here).
  const recipe = [RECIPE, ldflags(pin, 'release date')];
  const key = createHash('sha256')
    .update(JSON.stringify([withoutComments(goMod), goSum, goVersion, recipe]))
    .digest('hex')
    .slice(0, 16);
  return `${pin.kubernetes}-${key}`;
}

/** go.mod's lines without their `//` comments and blank lines, which Go ignores: a reworded comment builds the same binaries. */
function withoutComments(goMod: string): string {
  return goMod
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim())
    .filter((line) => line !== '')
    .join('\n');
}

function manifestOf(dir: string): ControlPlaneBinaries | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Omit<ControlPlaneBinaries, 'dir' | 'paths'>;
    const paths = Object.fromEntries(BINARIES.map((binary) => [binary, join(dir, binary)])) as Record<Binary, string>;
    return BINARIES.every((binary) => existsSync(paths[binary])) ? { ...manifest, dir, paths } : undefined;
  } catch {
    return undefined;
  }
}

interface Located {
  readonly pin: Pin;
  readonly go: string;
  readonly dir: string;
}

/** Checks Go and reads the pin; the folder this pin's binaries belong in. */
async function locate(env: NodeJS.ProcessEnv): Promise<Located> {
  const goMod = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');
  const goSum = readFileSync(join(MODULE_DIR, 'go.sum'), 'utf8');
  const pin = readPin(goMod);
  const { stdout } = await runGo(['version'], { cwd: MODULE_DIR, env: goEnvironment(env) });
  const go = /\bgo(\d+\.\d+(?:\.\d+)?)\b/.exec(stdout)?.[0];
  if (!go) throw new ControlPlaneError(`cannot read Go's version from \`go version\`: ${stdout.trim()}`);
  if (!goAtLeast(go, pin.go)) throw new ControlPlaneError(`lib/control-plane/go.mod needs Go ${pin.go} or newer, found ${go}: ${GET_GO}`);
  return { pin, go, dir: join(cacheRoot(env), cacheEntryName(pin, goMod, goSum, stdout.trim())) };
}

/**
 * The binaries of the current pin, without building: from $RESTATE_STACK_CONTROL_PLANE_BIN (set by the test run's
 * global setup) or the cache. Fails with one line saying how to build them.
 */
export async function findControlPlane(env: NodeJS.ProcessEnv = process.env): Promise<ControlPlaneBinaries> {
  const given = env.RESTATE_STACK_CONTROL_PLANE_BIN;
  const dir = given ?? (await locate(env)).dir;
  const found = manifestOf(dir);
  if (found) return found;
  throw new ControlPlaneError(
    `the control plane is not built${given ? ` in ${given}` : ' for lib/control-plane/go.mod yet'}: run \`npm run control-plane:build\` ` +
      '(npm test builds it first when a selected test uses it)',
  );
}

export interface EnsureOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
}

/** The binaries of the current pin: found in the cache, or built into it. */
export async function ensureControlPlane(options: EnsureOptions = {}): Promise<{ binaries: ControlPlaneBinaries; built: boolean }> {
  const env = options.env ?? process.env;
  const located = await locate(env);
  const cached = manifestOf(located.dir);
  if (cached) return { binaries: cached, built: false };
  const binaries = await build(located, env, options.progress ?? stderrProgress());
  return { binaries, built: true };
}

interface History {
  readonly builds: { readonly entry: string; readonly seconds: number; readonly compiled: number; readonly at: string }[];
}

function readHistory(root: string): History {
  try {
    return JSON.parse(readFileSync(join(root, 'builds.json'), 'utf8')) as History;
  } catch {
    return { builds: [] };
  }
}

/** Removes the temporary folders of builds whose process is gone (stopped by Ctrl-C, or killed). */
function removeAbandonedBuilds(root: string): void {
  for (const name of readdirSync(root)) {
    const pid = Number(/^\.build-(\d+)-/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      // ESRCH: no such process (EPERM: one of another user, alive).
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

/** How many pins' binaries the cache keeps (300 MB each): the last ones built, e.g. for branches with other pins. */
const KEEP_ENTRIES = 3;

/** Removes the binaries of pins older than the last KEEP_ENTRIES built. */
export function removeOldEntries(root: string, builds: History['builds']): void {
  const keep = new Set(builds.slice(-KEEP_ENTRIES).map((build) => build.entry));
  for (const name of readdirSync(root)) {
    if (/^v\d+\.\d+\.\d+-[0-9a-f]{16}$/.test(name) && !keep.has(join(root, name)))
      rmSync(join(root, name), { recursive: true, force: true });
  }
}

function minutes(seconds: number): string {
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function ldflags(pin: Pin, buildDate: string): string {
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(pin.kubernetes)!;
  // No git commit: the source is a module zip, not a checkout (empty rather than the placeholder `$Format:%H$`).
  const vars = { gitVersion: pin.kubernetes, gitMajor: major, gitMinor: minor, gitCommit: '', gitTreeState: 'archive', buildDate };
  const set = VERSION_PACKAGES.flatMap((pkg) => Object.entries(vars).map(([name, value]) => `-X ${pkg}.${name}=${value}`));
  return `all=${RECIPE.strip ? '-s -w ' : ''}${set.join(' ')}`;
}

async function build(located: Located, env: NodeJS.ProcessEnv, progress: Progress): Promise<ControlPlaneBinaries> {
  const { pin, go } = located;
  const root = cacheRoot(env);
  mkdirSync(root, { recursive: true });
  removeAbandonedBuilds(root);
  const history = readHistory(root);
  const last = history.builds[history.builds.length - 1];
  const logFile = join(root, 'last-build.log');
  rmSync(logFile, { force: true });
  const goEnv = goEnvironment(env);
  const started = Date.now();
  const elapsed = () => minutes((Date.now() - started) / 1000);

  progress.line(
    `control plane: building Kubernetes ${pin.kubernetes} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) and etcd ` +
      `${pin.etcd} with ${go} into ${located.dir}; this happens once per pin and Go version`,
  );
  progress.line(
    last
      ? `control plane: the last build here took ${minutes(last.seconds)} (more when Go's build cache is cold)`
      : `control plane: first build on this machine: expect about ${MEASURED_COLD_BUILD}`,
  );

  // Every module first, so that a module the proxy does not give is named (go build would not say which).
  const ticker = setInterval(() => progress.update(`control plane: downloading modules (${elapsed()})`), 1000);
  let modules: DownloadedModule[];
  try {
    modules = await downloadModules(goEnv, logFile);
  } finally {
    clearInterval(ticker);
  }
  // The pin must replace every staging module of this Kubernetes release, or Go looks for v0.0.0 versions.
  const kubernetes = modules.find((module) => module.Path === 'k8s.io/kubernetes');
  const missing = kubernetes?.GoMod ? missingReplaces(pin, readFileSync(kubernetes.GoMod, 'utf8')) : [];
  if (missing.length > 0) {
    throw new ControlPlaneError(
      `lib/control-plane/go.mod lacks ${missing.length} replace line(s) for Kubernetes' staging modules: ${missing.join('; ')}`,
    );
  }
  // The release's date as the build date, so that the binaries say the same wherever they are built.
  const released = kubernetes?.Info ? (JSON.parse(readFileSync(kubernetes.Info, 'utf8')) as { Time?: string }).Time : undefined;
  const buildDate = (released ?? '1970-01-01T00:00:00Z').replace(/\.\d+Z$/, 'Z');

  const packages = Object.values(PACKAGES);
  const listed = await runGo(['list', '-deps', '-f', '{{.ImportPath}}', ...packages], { cwd: MODULE_DIR, env: goEnv, logFile });
  const total = listed.stdout.split('\n').filter(Boolean).length;

  const temp = join(root, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(temp);
  try {
    let compiled = 0;
    const args = ['build', '-v', '-trimpath', '-tags', RECIPE.tags, '-ldflags', ldflags(pin, buildDate), '-o', `${temp}/`, ...packages];
    await runGo(args, {
      cwd: MODULE_DIR,
      env: goEnv,
      logFile,
      onStderrLine: (line) => {
        if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) compiled++;
        progress.update(`control plane: compiling: ${compiled} of at most ${total} packages (${elapsed()})`);
      },
    });
    // The etcd main package is the module root `go.etcd.io/etcd/server/v3`, which `go build` names `server`.
    renameSync(join(temp, 'server'), join(temp, 'etcd'));
    const versions = await reportedVersions(temp, env);
    if (versions.kubernetes.some((v) => v !== pin.kubernetes) || `v${versions.etcd}` !== pin.etcd) {
      throw new ControlPlaneError(
        `the built binaries report versions ${versions.kubernetes.join(', ')} and etcd ${versions.etcd}, not ${pin.kubernetes} and ${pin.etcd}`,
      );
    }
    const builtSeconds = Math.round((Date.now() - started) / 1000);
    const manifest = { kubernetes: pin.kubernetes, etcd: versions.etcd, go, builtSeconds };
    writeFileSync(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      renameSync(temp, located.dir);
    } catch (error) {
      // Another build of the same pin finished first: its folder is as good as ours.
      if (!manifestOf(located.dir)) throw error;
    }
    const entry = { entry: located.dir, seconds: builtSeconds, compiled, at: new Date().toISOString() };
    const builds = [...history.builds, entry].slice(-10);
    writeFileSync(join(root, 'builds.json'), `${JSON.stringify({ builds }, null, 2)}\n`);
    removeOldEntries(root, builds);
    progress.line(`control plane: built in ${minutes(builtSeconds)} (${compiled} packages compiled)`);
    return manifestOf(located.dir)!;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** One module as `go mod download -json` describes it. */
interface DownloadedModule {
  readonly Path: string;
  readonly Version: string;
  readonly Info?: string;
  readonly GoMod?: string;
  readonly Error?: string;
}

/** Downloads every module go.mod lists (nothing when the module cache has them); the first that fails is named. */
async function downloadModules(env: NodeJS.ProcessEnv, logFile: string): Promise<DownloadedModule[]> {
  const result = await runGo(['mod', 'download', '-json'], { cwd: MODULE_DIR, env, logFile, allowFailure: true });
  // A stream of JSON objects, one per module, each closed by a `}` alone on a line.
  const modules = result.stdout
    .split(/^}$/m)
    .filter((text) => text.trim() !== '')
    .map((text) => JSON.parse(`${text}}`) as DownloadedModule);
  const failed = modules.find((module) => module.Error);
  if (failed || result.code !== 0) {
    writeFileSync(logFile, `$ go mod download -json\n${result.stdout}${result.stderr}`);
    // Go names the module in the JSON of a module it tried, or on stderr (`go: cel.dev/expr@v0.25.1: module lookup disabled…`).
    const said = result.stderr
      .split('\n')
      .map((line) => line.replace(/^go: /, '').trim())
      .filter(Boolean);
    const what = failed ? `${failed.Path}@${failed.Version}: ${failed.Error}` : (said.find((line) => /@v/.test(line)) ?? said[0]);
    throw new ControlPlaneError(
      `the Go module proxy (GOPROXY=${env.GOPROXY || 'https://proxy.golang.org,direct'}) did not give ${what}; make the proxy reachable ` +
        '(or set GOPROXY to one that has it), or fill the module cache where it is: `cd lib/control-plane && go mod download`',
    );
  }
  return modules;
}

/** What each built binary says its version is. */
async function reportedVersions(dir: string, env: NodeJS.ProcessEnv): Promise<{ kubernetes: string[]; etcd: string }> {
  const run = (binary: Binary, args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(join(dir, binary), args, { env, timeout: 30_000 }, (error, stdout) =>
        error ? reject(new ControlPlaneError(`the built ${binary} does not run: ${error.message.split('\n')[0]}`)) : resolve(stdout),
      ),
    );
  const server = await Promise.all(
    (['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const).map(
      async (b) => (await run(b, ['--version'])).trim().split(' ')[1],
    ),
  );
  const client = JSON.parse(await run('kubectl', ['version', '--client', '-o', 'json'])) as { clientVersion: { gitVersion: string } };
  const etcd = /etcd Version: (\S+)/.exec(await run('etcd', ['--version']))?.[1] ?? 'unknown';
  return { kubernetes: [...server, client.clientVersion.gitVersion], etcd };
}

async function main(): Promise<void> {
  const started = Date.now();
  try {
    const { binaries, built } = await ensureControlPlane();
    const how = built ? `built in ${minutes(binaries.builtSeconds)}` : `cached, found in ${Date.now() - started} ms`;
    process.stdout.write(
      `control plane: Kubernetes ${binaries.kubernetes}, etcd ${binaries.etcd} (${binaries.go}) in ${binaries.dir} (${how})\n`,
    );
  } catch (error) {
    if (!(error instanceof ControlPlaneError)) throw error;
    process.stderr.write(`control plane: ${error.message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
