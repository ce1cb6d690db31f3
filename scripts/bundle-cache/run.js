#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * Runs a TypeScript entry point as `tsx ENTRY ARGS...` would, only faster: `npm run synth` and the deploy
 * tasks go through here.
 *
 *   node scripts/bundle-cache/run.js main.ts [args...]
 *
 * Two esbuild bundles, run with public Node APIs only (require, require.cache, vm.Script's code cache,
 * process.setSourceMapsEnabled):
 *  - app: the entry and our own sources, bundled afresh on every run (about 50 ms), so it is never stale. It
 *    is written to the cache folder and loaded with `require`, with an inline source map: stack traces name the
 *    TypeScript sources. Its package imports read the vendor bundle.
 *  - vendor: those packages, each behind a lazy getter, built only when what it is made from changes (see
 *    vendorKey). V8's code cache for it, written at exit by the run that built it, spares parsing and
 *    compiling cdk8s and cdk8s-plus on every run.
 *
 * Environment:
 *   BUNDLE_CACHE=off          run with tsx, no bundle
 *   BUNDLE_CACHE_DIR=DIR      cache folder (default: node_modules/.cache/bundle-cache), private to this checkout
 *   BUNDLE_CACHE_VERBOSE=1    say on stderr what was built and whether the code cache was used
 *
 * A build error (a syntax error in a source) is printed as esbuild reports it, with exit status 1. When the
 * cache folder cannot be written, the entry runs with tsx.
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { createRequire, isBuiltin } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** @param {string} message */
function say(message) {
  if (process.env.BUNDLE_CACHE_VERBOSE === '1') process.stderr.write(`bundle-cache: ${message}\n`);
}

/** The nearest folder at or above `dir` with a package.json. @param {string} dir */
function projectRoot(dir) {
  for (let at = dir; path.dirname(at) !== at; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, 'package.json'))) return at;
  }
  return dir;
}

/** @param {...(string | Buffer)} parts */
function sha256(...parts) {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 24);
}

/** Writes `file` through a temporary file and a rename, so a concurrent run never reads half of it. @param {string} file @param {string | Buffer} data */
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** @param {string} root */
function buildOptions(root) {
  return /** @type {const} */ ({
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    keepNames: true,
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
}

/**
 * Bundles the entry with our sources. Each package import becomes a read of the vendor bundle's getter; each
 * source that uses `__dirname` / `__filename` gets its own (its file's), so code finding files beside itself
 * still does.
 * @param {string} entry @param {string} root @param {string} vendorFile
 */
async function buildApp(entry, root, vendorFile) {
  /** @type {Set<string>} */
  const packages = new Set();
  const result = await require('esbuild').build({
    ...buildOptions(root),
    entryPoints: [entry],
    sourcemap: 'inline',
    // The bundle's real folder: the source map's paths are relative to it.
    outfile: path.join(path.dirname(vendorFile), 'app.js'),
    plugins: [
      {
        name: 'vendor-and-dirname',
        setup(build) {
          build.onResolve({ filter: /^[^.]/ }, (args) => {
            if (args.path === vendorFile) return { path: args.path, external: true };
            if (isBuiltin(args.path) || path.isAbsolute(args.path)) return undefined;
            packages.add(args.path);
            return { path: args.path, namespace: 'vendor' };
          });
          build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
            contents: `module.exports = require(${JSON.stringify(vendorFile)})[${JSON.stringify(args.path)}]();`,
            loader: 'js',
          }));
          build.onLoad({ filter: /\.ts$/ }, async (args) => {
            const text = await fs.promises.readFile(args.path, 'utf8');
            if (!/\b__(dirname|filename)\b/.test(text)) return undefined;
            const own = `var __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)};`;
            return { contents: own + text, loader: 'ts' };
          });
        },
      },
    ],
  });
  return { code: result.outputFiles[0].text, packages: [...packages].sort() };
}

/**
 * What the vendor bundle is made from: the package list, the lock file (a dependency change changes it, and
 * `npm ci` empties node_modules/.cache anyway), each package's resolved package.json (catches `npm link` and a
 * hand-edited manifest), node, esbuild and this file.
 * @param {readonly string[]} packages @param {string} root
 */
function vendorKey(packages, root) {
  const resolveFrom = createRequire(path.join(root, 'package.json'));
  const manifests = packages.map((p) => {
    const name = p
      .split('/')
      .slice(0, p.startsWith('@') ? 2 : 1)
      .join('/');
    try {
      return fs.readFileSync(resolveFrom.resolve(`${name}/package.json`));
    } catch {
      return `${name}: no readable package.json`;
    }
  });
  const lock = ['package-lock.json', 'package.json'].map((f) => path.join(root, f)).find((f) => fs.existsSync(f));
  const tool = [process.version, require('esbuild/package.json').version, fs.readFileSync(__filename)];
  return sha256(...tool, lock ? fs.readFileSync(lock) : '', JSON.stringify(packages), ...manifests);
}

/** Builds the vendor bundle for `key`. @param {readonly string[]} packages @param {string} key @param {string} root @param {string} vendorFile */
async function buildVendor(packages, key, root, vendorFile) {
  say(`building the vendor bundle (${packages.join(', ')})`);
  const contents = `module.exports = {\n${packages.map((p) => `  ${JSON.stringify(p)}: () => require(${JSON.stringify(p)}),\n`).join('')}};\n`;
  const result = await require('esbuild').build({
    ...buildOptions(root),
    stdin: { contents, resolveDir: root, loader: 'js' },
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
 * Compiles the vendor bundle with its V8 code cache and puts it in `require.cache`, where the app's package
 * imports find it. Without a usable code cache, a new one is written at exit: it then covers the functions the
 * run compiled lazily too.
 * @param {string} file
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

/**
 * Builds what the run needs and preloads the vendor bundle; returns the app bundle's path.
 * @param {string} entry @param {string} entryArg @param {string} cacheDir
 */
async function prepare(entry, entryArg, cacheDir) {
  const root = projectRoot(path.dirname(entry));
  let dir;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    dir = fs.realpathSync(cacheDir); // where `require` will see the bundle: the source map is relative to it
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    say(`cache not writable (${/** @type {Error} */ (error).message}): running with tsx`);
    runWithTsx(entry, process.argv.slice(3));
  }
  const vendorFile = path.join(dir, 'vendor.js');
  const building = buildApp(entry, root, vendorFile);
  // While esbuild works in its own process, load the vendor bundle the last run used, if it is still current.
  /** @type {{ key: string, packages: string[] } | null} what the vendor bundle was built for */
  let previous = null;
  try {
    if (fs.existsSync(vendorFile)) previous = JSON.parse(fs.readFileSync(`${vendorFile}.key`, 'utf8'));
  } catch {
    // no usable key: build the vendor bundle again
  }
  const current = previous && previous.key === vendorKey(previous.packages, root);
  if (current) preloadVendor(vendorFile);
  let app;
  try {
    app = await building;
  } catch (error) {
    const messages = /** @type {{ errors?: import('esbuild').Message[] }} */ (error).errors;
    if (!messages) throw error;
    const text = await require('esbuild').formatMessages(messages, { kind: 'error', color: false });
    process.stderr.write(`${entryArg}: cannot build:\n${text.join('')}`);
    process.exit(1);
  }
  if (!current || JSON.stringify(previous.packages) !== JSON.stringify(app.packages)) {
    await buildVendor(app.packages, vendorKey(app.packages, root), root, vendorFile);
    preloadVendor(vendorFile);
  }
  const prefix = `app-${path.basename(entry, '.ts')}-`;
  const appFile = path.join(dir, `${prefix}${sha256(app.code)}.js`);
  if (!fs.existsSync(appFile)) writeAtomically(appFile, app.code);
  // Older app bundles go, but not recent ones: a concurrent run may be about to load one.
  for (const name of fs.readdirSync(dir).filter((n) => n.startsWith(prefix) && n !== path.basename(appFile))) {
    const file = path.join(dir, name);
    fs.stat(file, (error, stat) => !error && stat.mtimeMs < Date.now() - 60_000 && fs.rm(file, { force: true }, () => {}));
  }
  return appFile;
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
  prepare(entry, entryArg, cacheDir).then(
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
