#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * `node scripts/bundle-cache/run.js main.ts [args...]` runs a .ts entry as tsx would, faster, from two esbuild
 * bundles in the cache folder, with public Node APIs only (docs/performance.md). app: our sources, loaded by
 * `require` with a source map, bundled again only when appKey (every source's text) changes, so it is never stale
 * and an unchanged tree starts no esbuild. vendor: the packages it imports, behind lazy getters, built when
 * vendorKey changes, compiled with a V8 code cache. BUNDLE_CACHE=off (or an unwritable cache) runs tsx;
 * BUNDLE_CACHE_DIR=DIR moves the cache from node_modules/.cache/bundle-cache; BUNDLE_CACHE_VERBOSE=1 says what was built.
 */
const { spawnSync } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const { createRequire, isBuiltin } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** @param {string} message */
const say = (message) => process.env.BUNDLE_CACHE_VERBOSE === '1' && process.stderr.write(`bundle-cache: ${message}\n`);

/** The nearest folder at or above `dir` with a package.json. @param {string} dir @returns {string} */
const projectRoot = (dir) =>
  fs.existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir ? dir : projectRoot(path.dirname(dir));

/** @param {...(string | Buffer)} parts */
function sha256(...parts) {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 24);
}

/** Writes `file` through a temporary file and a rename, so a concurrent run never reads half of it. @param {string} file @param {string | Buffer} data */
function writeAtomically(file, data) {
  // Not the PID alone: verify runs this inside PID namespaces of its own, where two runs at once are both PID 1 (CI's
  // two scenario lanes wrote the same `.1.tmp`, and one rename found it gone).
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** The JSON in `file`, or null when there is none to read. @param {string} file */
function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Node, esbuild and this file: what every bundle is also made from. */
const TOOLS = [process.version, require('esbuild/package.json').version, fs.readFileSync(__filename)];

/** What both esbuild builds share (plus `absWorkingDir`). */
const OPTIONS = /** @type {const} */ ({ bundle: true, platform: 'node', format: 'cjs', keepNames: true, write: false, logLevel: 'silent' });
const target = `node${process.versions.node.split('.')[0]}`;

/**
 * Bundles the entry with our sources: package imports read the vendor bundle's getters, and each source keeps its
 * own `__dirname` / `__filename`. Returns code, map, packages, and each source with the hash of the text bundled.
 * @param {string} entry @param {string} root @param {string} vendorFile
 */
async function buildApp(entry, root, vendorFile) {
  /** @type {Set<string>} */ const packages = new Set();
  /** @type {Record<string, string>} */ const sources = {};
  const result = await require('esbuild').build({
    ...OPTIONS,
    target,
    absWorkingDir: root,
    entryPoints: [entry],
    sourcemap: 'external',
    sourcesContent: false,
    metafile: true,
    outfile: path.join(path.dirname(vendorFile), 'app.js'), // the bundle's folder: the map's paths are relative to it
    plugins: [
      {
        name: 'vendor-and-dirname',
        setup(build) {
          build.onResolve({ filter: /^[^.]/ }, (args) => {
            if (args.path === vendorFile || args.kind === 'require-resolve') return { path: args.path, external: true };
            if (isBuiltin(args.path) || path.isAbsolute(args.path)) return undefined;
            packages.add(args.path);
            return { path: args.path, namespace: 'vendor' };
          });
          build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
            contents: `module.exports = require(${JSON.stringify(vendorFile)})[${JSON.stringify(args.path)}]();`,
            loader: 'js',
          }));
          build.onLoad({ filter: /\.(ts|js|json)$/ }, async (args) => {
            const text = await fs.promises.readFile(args.path, 'utf8');
            sources[path.relative(root, args.path)] = sha256(text);
            const loader = /** @type {'ts' | 'js' | 'json'} */ (path.extname(args.path).slice(1));
            if (loader !== 'ts' || !/\b__(dirname|filename)\b/.test(text)) return { contents: text, loader };
            const own = `var __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)};`;
            return { contents: own + text, loader };
          });
        },
      },
    ],
  });
  const unread = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('vendor:') && !(input in sources));
  if (unread.length > 0) throw new Error(`esbuild read ${unread.join(', ')} without the runner: the app key would miss them`);
  const text = (/** @type {string} */ ext) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { code: text('.js'), map: text('.js.map'), packages: [...packages].sort(), sources };
}

const MODULE = /\.(tsx?|jsx?|json|css)$/; // what esbuild resolves an import to
/**
 * What the app bundle is made from: each source's text (never its date); the folders and module files in each
 * source's folder and the one above (a new one may change what an import resolves to); tsconfig.json; the tools.
 * @param {string} entry @param {Record<string, string>} sources @param {string} root
 */
function appKey(entry, sources, root) {
  const folders = new Set(Object.keys(sources).flatMap((file) => [path.dirname(file), path.dirname(path.dirname(file))]));
  const listings = [...folders].sort().map((folder) => {
    const names = fs.readdirSync(path.join(root, folder), { withFileTypes: true }).filter((e) => e.isDirectory() || MODULE.test(e.name));
    return `${folder}:${names.map((e) => e.name).sort()}`;
  });
  const tsconfig = path.join(root, 'tsconfig.json');
  return sha256(...TOOLS, entry, fs.existsSync(tsconfig) ? fs.readFileSync(tsconfig) : '', JSON.stringify(sources), ...listings);
}

/**
 * What the vendor bundle is made from: the package list, the lock file, each package's resolved package.json
 * (catches `npm link` and a hand-edited manifest) and the tools. `npm ci` empties the cache too.
 * @param {readonly string[]} packages @param {string} root
 */
function vendorKey(packages, root) {
  const resolveFrom = createRequire(path.join(root, 'package.json'));
  const manifests = packages.map((p) => {
    const name = /^(@[^/]+\/)?[^/]+/.exec(p)?.[0];
    try {
      return fs.readFileSync(resolveFrom.resolve(`${name}/package.json`));
    } catch {
      return `${name}: no readable package.json`;
    }
  });
  const lock = ['package-lock.json', 'package.json'].map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
  return sha256(...TOOLS, lock ? fs.readFileSync(lock) : '', JSON.stringify(packages), ...manifests);
}

/** Builds the vendor bundle for `key`. @param {readonly string[]} packages @param {string} key @param {string} root @param {string} vendorFile */
async function buildVendor(packages, key, root, vendorFile) {
  say(`building the vendor bundle (${packages.join(', ')})`);
  const contents = `module.exports = {\n${packages.map((p) => `  ${JSON.stringify(p)}: () => require(${JSON.stringify(p)}),\n`).join('')}};\n`;
  const stdin = { contents, resolveDir: root, loader: /** @type {const} */ ('js') };
  const result = await require('esbuild').build({
    ...OPTIONS,
    target,
    absWorkingDir: root,
    stdin,
    outfile: vendorFile,
  });
  fs.rmSync(`${vendorFile}.v8cache`, { force: true });
  writeAtomically(vendorFile, result.outputFiles[0].text);
  writeAtomically(`${vendorFile}.key`, JSON.stringify({ key, packages }));
}

/** @type {{ file: string, script: vm.Script } | null} the code cache to write at exit, if any */
let codeCache = null;

function writeCodeCache() {
  try {
    if (codeCache) writeAtomically(codeCache.file, codeCache.script.createCachedData());
  } catch {
    // no code cache: the next run compiles again
  }
}

/**
 * Compiles the vendor bundle with its V8 code cache into `require.cache`, where the app's imports find it. Without
 * a usable code cache, one is written at exit (it then covers what the run compiled lazily too). @param {string} file
 */
function preloadVendor(file) {
  const cacheFile = `${file}.v8cache`;
  const cachedData = fs.existsSync(cacheFile) ? fs.readFileSync(cacheFile) : undefined;
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, 'utf8')}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const used = cachedData !== undefined && !script.cachedDataRejected;
  say(`vendor code cache ${used ? 'used' : 'not usable; writing one at exit'}`);
  if (!used && !process.listeners('exit').includes(writeCodeCache)) process.once('exit', writeCodeCache);
  codeCache = used ? null : { file: cacheFile, script };
  const mod = { id: file, filename: file, loaded: false, exports: {}, children: [], paths: [] };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  require.cache[file] = /** @type {NodeJS.Module} */ (/** @type {unknown} */ (mod));
}

/** @param {string} entry @param {string[]} args @returns {never} */
function runWithTsx(entry, args) {
  const child = spawnSync(process.execPath, [require.resolve('tsx/cli'), entry, ...args], { stdio: 'inherit' });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

/** Builds what changed, preloads the vendor bundle, returns the app bundle's path. @param {string} entry @param {string} entryArg @param {string} root @param {string} cacheDir */
async function prepare(entry, entryArg, root, cacheDir) {
  let dir;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    dir = fs.realpathSync(cacheDir); // where `require` will see the bundle: the source map is relative to it
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    say(`cache not writable (${/** @type {Error} */ (error).message}): running with tsx`);
    runWithTsx(entry, process.argv.slice(3));
  }
  const relative = path.relative(root, entry).replace(/\.ts$/, '');
  const name = `app-${relative.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const vendorFile = path.join(dir, `${name}.vendor.js`); // one per entry: entries import different packages
  const bundle = (/** @type {string} */ key) => path.join(dir, `${name}-${key}.js`);
  /** @type {{ key: string, packages: string[], sources: Record<string, string> } | null} what the last app bundle was made from */
  let app = readJson(path.join(dir, `${name}.json`));
  /** @type {Record<string, string>} */ const now = {};
  try {
    for (const file of Object.keys(app?.sources ?? {})) now[file] = sha256(fs.readFileSync(path.join(root, file), 'utf8'));
    if (!app || appKey(entry, now, root) !== app.key || !fs.existsSync(bundle(app.key))) app = null;
  } catch {
    app = null; // a source is gone: bundle again
  }
  if (!app) say('building the app bundle');
  const building = app
    ? null
    : buildApp(entry, root, vendorFile).catch(async (error) => {
        if (!error?.errors) throw error;
        const text = await require('esbuild').formatMessages(error.errors, { kind: 'error', color: false });
        process.stderr.write(`${entryArg}: cannot build:\n${text.join('')}`);
        process.exit(1);
      });
  // While esbuild works in its own process, load the vendor bundle the last run used, if it is still current.
  /** @type {{ key: string, packages: string[] } | null} what the vendor bundle was built for */
  const previous = fs.existsSync(vendorFile) ? readJson(`${vendorFile}.key`) : null;
  const current = previous && previous.key === vendorKey(previous.packages, root);
  if (current) preloadVendor(vendorFile);
  if (!app) {
    const built = await /** @type {ReturnType<typeof buildApp>} */ (building);
    app = { key: appKey(entry, built.sources, root), packages: built.packages, sources: built.sources };
    writeAtomically(`${bundle(app.key)}.map`, built.map);
    writeAtomically(bundle(app.key), `${built.code}//# sourceMappingURL=${path.basename(bundle(app.key))}.map\n`);
    writeAtomically(path.join(dir, `${name}.json`), JSON.stringify(app));
  }
  if (!current || JSON.stringify(previous.packages) !== JSON.stringify(app.packages)) {
    await buildVendor(app.packages, vendorKey(app.packages, root), root, vendorFile);
    preloadVendor(vendorFile);
  }
  // Older app bundles go, but not recent ones: a concurrent run may be about to load one.
  const older = new RegExp(`^${name}-(?!${app.key}\\.)[0-9a-f]{24}\\.js(\\.map)?$`);
  for (const at of fs.readdirSync(dir).flatMap((n) => (older.test(n) ? [path.join(dir, n)] : [])))
    fs.stat(at, (error, stat) => !error && stat.mtimeMs < Date.now() - 60_000 && fs.rm(at, { force: true }, () => {}));
  return bundle(app.key);
}

function main() {
  const entryArg = process.argv[2];
  if (!entryArg) {
    process.stderr.write('usage: node scripts/bundle-cache/run.js ENTRY.ts [args...]\n');
    process.exit(2);
  }
  const entry = path.resolve(entryArg);
  if (process.env.BUNDLE_CACHE === 'off') runWithTsx(entry, process.argv.slice(3));
  const root = projectRoot(path.dirname(entry));
  const cacheDir = process.env.BUNDLE_CACHE_DIR || path.join(root, 'node_modules', '.cache', 'bundle-cache');
  prepare(entry, entryArg, root, cacheDir).then(
    (appFile) => {
      process.setSourceMapsEnabled(true);
      process.argv = [process.argv[0], entry, ...process.argv.slice(3)];
      // Outside the promise chain, so that an exception thrown by the program is uncaught, as under tsx.
      setImmediate(() => require(appFile));
    },
    (error) => {
      process.stderr.write(`bundle-cache: ${error?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

main();
