#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * Runs a TypeScript entry point as `tsx ENTRY ARGS...` would, but from a cached esbuild bundle while nothing
 * it was built from has changed (see cache.js for what is checked). `npm run synth` goes through here.
 *
 *   node scripts/bundle-cache/run.js main.ts [args...]
 *
 * Environment:
 *   BUNDLE_CACHE=off          run with tsx, no bundle
 *   BUNDLE_CACHE_DIR=DIR      cache folder (default: node_modules/.cache/bundle-cache/<entry>), must be private to this checkout
 *   BUNDLE_CACHE_VERBOSE=1    say on stderr whether the bundle was reused, rebuilt, or tsx ran instead
 *
 * If bundling fails for any reason (a syntax error, esbuild missing), the entry runs with tsx, which reports
 * the problem exactly as `tsx ENTRY` always did.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** @param {string} message */
function say(message) {
  if (process.env.BUNDLE_CACHE_VERBOSE === '1') process.stderr.write(`bundle-cache: ${message}\n`);
}

/** The nearest folder at or above `dir` with a package.json. @param {string} dir */
function projectRoot(dir) {
  for (let at = dir; ; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, 'package.json'))) return at;
    if (path.dirname(at) === at) return dir;
  }
}

/**
 * Reads and compiles one bundle file, without running it. V8's code cache for it (`<bundle>.v8cache`, written
 * at exit by the first run) spares parsing and compiling it again; bundle names are hashes of their content,
 * so a code cache never meets a bundle it was not made from, and V8 itself rejects one made by another V8
 * or with other flags.
 * @param {string} file
 */
function compile(file) {
  const codeCache = file.replace(/\.js$/, '.v8cache');
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = fs.readFileSync(codeCache);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  say(`${path.basename(file)}: ${cachedData === undefined ? 'no code cache yet' : script.cachedDataRejected ? 'code cache rejected' : 'code cache used'}`);
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = path.join(path.dirname(codeCache), `.tmp-${process.pid}-${path.basename(codeCache)}`);
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, codeCache);
      } catch {
        // no code cache: the next run compiles again
      }
    });
  }
  return { file, script };
}

/** @typedef {ReturnType<typeof compile>} Compiled */

/** @param {string} file */
function newModule(file) {
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = /** @type {any} */ (Module)._nodeModulePaths(path.dirname(file));
  /** @type {any} */ (Module)._cache[file] = mod;
  return mod;
}

/** Runs a compiled bundle as the CommonJS module `mod`. @param {Compiled} compiled @param {NodeJS.Module} mod @param {NodeJS.Require} req */
function execute({ file, script }, mod, req) {
  script.runInThisContext({ displayErrors: true }).call(mod.exports, mod.exports, req, mod, file, path.dirname(file));
  mod.loaded = true;
}

/**
 * Runs the app bundle in this process as the main module, with argv as tsx would give it; its package
 * imports are served by the vendor bundle.
 * @param {{ app: Compiled, vendor: Compiled }} bundles @param {string} entry @param {string[]} args
 */
function runBundles(bundles, entry, args) {
  process.argv = [process.argv[0], entry, ...args];
  const vendorModule = newModule(bundles.vendor.file);
  execute(bundles.vendor, vendorModule, Module.createRequire(bundles.vendor.file));
  /** @type {Record<string, () => unknown>} */
  const vendor = vendorModule.exports;

  const app = newModule(bundles.app.file);
  const base = Module.createRequire(bundles.app.file);
  /** @type {any} */
  const req = (/** @type {string} */ id) => (Object.prototype.hasOwnProperty.call(vendor, id) ? vendor[id]() : base(id));
  Object.assign(req, { resolve: base.resolve, cache: base.cache, extensions: base.extensions, main: app });
  process.mainModule = app;
  execute(bundles.app, app, req);
}

/** @param {string} entry @param {string[]} args @returns {never} */
function runWithTsx(entry, args) {
  const tsx = require.resolve('tsx/cli');
  const child = spawnSync(process.execPath, [tsx, entry, ...args], { stdio: 'inherit' });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

function main() {
  const [entryArg, ...args] = process.argv.slice(2);
  if (!entryArg) {
    process.stderr.write('usage: node scripts/bundle-cache/run.js ENTRY.ts [args...]\n');
    process.exit(2);
  }
  const entry = path.resolve(entryArg);
  if (process.env.BUNDLE_CACHE === 'off') {
    say('off: running with tsx');
    runWithTsx(entry, args);
  }
  const root = projectRoot(path.dirname(entry));
  const cacheDir =
    process.env.BUNDLE_CACHE_DIR ||
    path.join(root, 'node_modules', '.cache', 'bundle-cache', path.relative(root, entry).replace(/[^A-Za-z0-9._-]+/g, '_'));

  // Only the cache's own work may fall back to tsx: once the program has started, it must not run twice.
  /** @type {typeof import('./cache')} */
  let cache;
  /** @type {{ app: Compiled, vendor: Compiled } | undefined} */
  let ready;
  try {
    cache = require('./cache');
    const cached = cache.cachedBundles(entry, cacheDir);
    if ('bundles' in cached) {
      say(`reused ${path.relative(root, cached.bundles.app)} and ${path.basename(cached.bundles.vendor)}`);
      ready = { vendor: compile(cached.bundles.vendor), app: compile(cached.bundles.app) };
    } else {
      say(`rebuilding: ${cached.reason}`);
    }
  } catch (error) {
    say(`cache unusable (${/** @type {Error} */ (error).message}): running with tsx`);
    runWithTsx(entry, args);
  }
  if (ready) {
    runBundles(ready, entry, args);
    return;
  }
  cache.rebuild(entry, root, cacheDir).then(
    (built) => {
      const what = `${built.rebuilt.join(' and ')} in ${path.relative(root, path.dirname(built.bundles.app))}`;
      say(`${built.stored ? 'built' : 'built, not stored:'} ${what}${built.note ? ` (${built.note})` : ''}`);
      /** @type {{ app: Compiled, vendor: Compiled }} */
      let fresh;
      try {
        fresh = { vendor: compile(built.bundles.vendor), app: compile(built.bundles.app) };
      } catch (error) {
        say(`fresh bundle unusable (${/** @type {Error} */ (error).message}): running with tsx`);
        runWithTsx(entry, args);
      }
      // Outside the promise chain, so an exception thrown by the program is an uncaught exception, as under tsx.
      process.nextTick(() => runBundles(fresh, entry, args));
    },
    (error) => {
      const why = error?.errors?.[0]?.text ?? String(error?.message ?? error).split('\n')[0];
      say(`bundling failed (${why}): running with tsx`);
      runWithTsx(entry, args);
    },
  );
}

main();
