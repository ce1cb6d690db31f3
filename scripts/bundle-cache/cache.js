// @ts-check
'use strict';
/**
 * Bundles of a TypeScript entry point, cached on disk and reused only while every file that went into them
 * is unchanged.
 *
 * Plain JavaScript on purpose: this runs before anything could compile TypeScript, and the point is to start
 * no compiler when nothing changed.
 *
 * Two bundles, so that editing our sources rebuilds only the small one:
 *  - app:    the entry and every source file it imports; each package import stays a `require("pkg")`;
 *  - vendor: those packages, each behind a lazy getter (`"pkg": () => require("pkg")`), resolved from the
 *            project root, where the app's own imports resolve too (a build refuses a nested node_modules).
 *
 * What "unchanged" means, checked on every run before a bundle is used:
 *  - the content (SHA-256, not the mtime) of every file esbuild loaded, captured as esbuild read it;
 *  - the listing of every folder from each such file up to the project root, and the content of any
 *    package.json / tsconfig.json in those folders: a new file can change what an import resolves to
 *    (`./x` -> `x.ts` instead of `x/index.ts`, a package's "main" or "exports") without any loaded file changing;
 *  - the node version, the esbuild version and the code of this folder.
 * Anything that cannot be checked is a miss, and a miss rebuilds. A bundle is stored only if nothing it was
 * built from changed while it was being built.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { isBuiltin } = require('node:module');
const path = require('node:path');

const FORMAT = 2;
/** Name of the generated vendor entry in esbuild's bookkeeping; not a file. */
const VENDOR_ENTRY = '<vendor-entry>';
/** Files whose content steers module resolution or compilation when present in a folder. */
const RESOLUTION_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.cjs': 'js', '.mjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/** @param {string | Buffer} data */
function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/** @param {string} file @returns {string | null} */
function hashFile(file) {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return null;
  }
}

/**
 * The part of a folder's listing that can change what an import resolves to: sub-folders, links, and files
 * esbuild could load or that steer resolution. Hidden entries (`.cache`, `.bin`, staging folders) are left
 * out: nothing imports them, and the cache itself lives in one.
 * @param {string} dir @returns {string | null}
 */
function hashListing(dir) {
  try {
    const names = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && (!e.isFile() || e.name.endsWith('.node') || RESOLUTION_FILES.includes(e.name) || path.extname(e.name) in LOADERS))
      .map((e) => e.name)
      .sort();
    return sha256(names.join('\0'));
  } catch {
    return null;
  }
}

/** @param {string} parent @param {string} child */
function isWithin(parent, child) {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Folders whose listing can change what an import of `file` resolves to: its own folder and each parent up to
 * `root`; for a file outside `root`, up to (not including) the first folder that contains `root`.
 * @param {string} file @param {string} root
 */
function foldersAbove(file, root) {
  /** @type {string[]} */
  const out = [];
  let dir = path.dirname(file);
  for (;;) {
    if (isWithin(dir, root) && dir !== root) break;
    out.push(dir);
    if (dir === root) break;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** Identity of the machinery: a change to any of it invalidates every bundle. */
function toolIdentity() {
  const own = fs.readdirSync(__dirname).filter((name) => name.endsWith('.js')).sort();
  return sha256(
    [FORMAT, process.version, require('esbuild/package.json').version, ...own.map((name) => fs.readFileSync(path.join(__dirname, name), 'utf8'))].join('\n'),
  );
}

/**
 * @typedef {object} Part  one bundle and what it was built from
 * @property {string} bundle  file name in the cache folder: `bundle-<hash of its content>.js`
 * @property {Record<string, string>} files    absolute path -> sha256 of the content
 * @property {Record<string, string>} folders  absolute path -> sha256 of the listing (see hashListing)
 *
 * @typedef {object} Manifest
 * @property {number} format
 * @property {string} tool    toolIdentity() at build time
 * @property {string} entry   absolute entry path
 * @property {string} root    project root
 * @property {Part & { packages: string[] }} app  `packages`: the package specifiers it requires
 * @property {Part} vendor
 *
 * @typedef {{ app: string, vendor: string }} Bundles  absolute paths of the two bundles
 */

/**
 * Listings of the folders above `files`, plus the resolution files found in them.
 * @param {Iterable<string>} files @param {string} root
 */
function folderState(files, root) {
  /** @type {Record<string, string>} */
  const folders = {};
  /** @type {Record<string, string>} */
  const found = {};
  for (const file of files) {
    for (const dir of foldersAbove(file, root)) {
      if (dir in folders) continue;
      const listing = hashListing(dir);
      if (listing === null) throw new Error(`cannot list ${dir}`);
      folders[dir] = listing;
      for (const name of RESOLUTION_FILES) {
        const candidate = path.join(dir, name);
        const hash = fs.existsSync(candidate) ? hashFile(candidate) : null;
        if (hash !== null) found[candidate] = hash;
      }
    }
  }
  return { folders, files: found };
}

/**
 * Why a part may not be used, or null when it may.
 * @param {Part} part @param {string} cacheDir @returns {string | null}
 */
function partStaleReason(part, cacheDir) {
  if (!fs.existsSync(path.join(cacheDir, part.bundle))) return `bundle file missing: ${part.bundle}`;
  for (const [file, hash] of Object.entries(part.files)) {
    if (hashFile(file) !== hash) return `changed: ${file}`;
  }
  for (const [dir, hash] of Object.entries(part.folders)) {
    if (hashListing(dir) !== hash) return `files added or removed in ${dir}`;
  }
  return null;
}

/** @param {string} cacheDir @returns {Manifest | null} */
function readManifest(cacheDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(cacheDir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The manifest if it was made for this entry by this machinery, or why not.
 * @param {string} entry @param {string} cacheDir @returns {{ manifest: Manifest } | { reason: string }}
 */
function usableManifest(entry, cacheDir) {
  const manifest = readManifest(cacheDir);
  if (!manifest) return { reason: 'no cache yet' };
  if (manifest.format !== FORMAT) return { reason: 'cache format changed' };
  if (manifest.tool !== toolIdentity()) return { reason: 'node, esbuild or the cache code changed' };
  if (manifest.entry !== entry) return { reason: 'another entry point' };
  return { manifest };
}

/**
 * The cached bundles of `entry` if both are current (checked synchronously, so a hit runs without waiting).
 * @param {string} entry absolute path of the entry point
 * @param {string} cacheDir
 * @returns {{ bundles: Bundles } | { reason: string }}
 */
function cachedBundles(entry, cacheDir) {
  const usable = usableManifest(entry, cacheDir);
  if (!('manifest' in usable)) return usable;
  const { manifest } = usable;
  const reason = partStaleReason(manifest.app, cacheDir) ?? partStaleReason(manifest.vendor, cacheDir);
  if (reason !== null) return { reason };
  return { bundles: { app: path.join(cacheDir, manifest.app.bundle), vendor: path.join(cacheDir, manifest.vendor.bundle) } };
}

/** The closest folder named node_modules between `dir` and `root` (exclusive), if any. @param {string} dir @param {string} root */
function nestedNodeModules(dir, root) {
  for (let at = dir; isWithin(root, at) && at !== root; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, 'node_modules'))) return path.join(at, 'node_modules');
  }
  return null;
}

/**
 * One esbuild run into a CommonJS bundle. Every file is loaded here, to record its hash as read and to give
 * each module its own `__dirname` / `__filename` (those of its source), so code that finds files next to
 * itself still does. With `packagesExternal`, package imports stay `require("pkg")` and are listed.
 * @param {{ entry?: string, stdin?: string, root: string, packagesExternal: boolean }} options
 * @returns {Promise<{ code: string, loaded: Map<string, string>, packages: string[] }>}
 */
async function runEsbuild({ entry, stdin, root, packagesExternal }) {
  const esbuild = require('esbuild');
  /** @type {Map<string, string>} */
  const loaded = new Map();
  /** @type {Set<string>} */
  const packages = new Set();
  /** @type {import('esbuild').Plugin} */
  const plugin = {
    name: 'bundle-cache',
    setup(build) {
      if (packagesExternal) {
        build.onResolve({ filter: /^[^./]/ }, (args) => {
          if (isBuiltin(args.path) || path.isAbsolute(args.path)) return undefined;
          const nested = nestedNodeModules(args.resolveDir, root);
          if (nested) return { errors: [{ text: `${nested}: packages are resolved from the project root only` }] };
          packages.add(args.path);
          return { path: args.path, external: true };
        });
      }
      build.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        const loader = /** @type {import('esbuild').Loader | undefined} */ (LOADERS[/** @type {keyof typeof LOADERS} */ (path.extname(args.path))]);
        if (!loader) return undefined; // left to esbuild; then the build is refused below
        const bytes = await fs.promises.readFile(args.path);
        loaded.set(args.path, sha256(bytes));
        let contents = bytes.toString('utf8');
        if (loader !== 'json' && /\b__(dirname|filename)\b/.test(contents)) {
          contents = `var __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)};` + contents;
        }
        return { contents, loader, resolveDir: path.dirname(args.path) };
      });
    },
  };
  const result = await esbuild.build({
    ...(entry ? { entryPoints: [entry] } : { stdin: { contents: stdin ?? '', resolveDir: root, sourcefile: VENDOR_ENTRY, loader: 'js' } }),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    keepNames: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
    outfile: path.join(root, 'bundle.js'),
    plugins: [plugin],
  });
  const missed = Object.keys(result.metafile.inputs)
    .filter((input) => input !== VENDOR_ENTRY && input !== '<stdin>')
    .map((input) => path.resolve(root, input))
    .filter((input) => !loaded.has(input));
  if (missed.length > 0) throw new Error(`inputs esbuild loaded by itself: ${missed.join(', ')}`);
  return { code: result.outputFiles[0].text, loaded, packages: [...packages].sort() };
}

/** The vendor entry: each package behind a getter, so only what the app requires at run time is initialized. @param {readonly string[]} packages */
function vendorEntry(packages) {
  return `module.exports = {\n${packages.map((p) => `  ${JSON.stringify(p)}: () => require(${JSON.stringify(p)}),\n`).join('')}};\n`;
}

/** @param {string} file @param {string} text */
function writeAtomically(file, text) {
  const tmp = path.join(path.dirname(file), `.tmp-${process.pid}-${path.basename(file)}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * Removes superseded bundles and their code caches, leaving recent files alone: a concurrent run may be
 * about to load one.
 * @param {string} cacheDir @param {readonly string[]} keep bundle file names
 */
function removeOldBundles(cacheDir, keep) {
  const cutoff = Date.now() - 60_000;
  const kept = keep.map((name) => name.replace(/\.js$/, '.'));
  for (const name of fs.readdirSync(cacheDir)) {
    if (kept.some((prefix) => name.startsWith(prefix)) || !(name.startsWith('bundle-') || name.startsWith('.tmp-'))) continue;
    const file = path.join(cacheDir, name);
    try {
      if (fs.statSync(file).mtimeMs < cutoff) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  }
}

/**
 * Builds one part; `changed` is true when something it was built from changed while it was built (compared
 * with what was there before, for the files and folders known from the previous build).
 * @param {Parameters<typeof runEsbuild>[0]} options @param {Part | undefined} previous
 */
async function buildPart(options, previous) {
  const before = previous ? folderState(Object.keys(previous.files), options.root) : null;
  const { code, loaded, packages } = await runEsbuild(options);
  const after = folderState(loaded.keys(), options.root);
  const changed =
    [...loaded].some(([file, hash]) => hashFile(file) !== hash) ||
    (before !== null && Object.entries(before.folders).some(([dir, hash]) => dir in after.folders && after.folders[dir] !== hash)) ||
    (before !== null && Object.entries(before.files).some(([file, hash]) => file in after.files && after.files[file] !== hash));
  /** @type {Part} */
  const part = { bundle: `bundle-${sha256(code).slice(0, 20)}.js`, files: { ...after.files, ...Object.fromEntries(loaded) }, folders: after.folders };
  return { part, code, packages, changed };
}

/**
 * Makes current bundles of `entry`, rebuilding only the parts that are stale, and stores them when the cache
 * folder is writable and nothing changed during the build; otherwise they are only used for this run.
 * @param {string} entry absolute path of the entry point
 * @param {string} root project root: folder listings are watched up to here, packages resolve from here
 * @param {string} cacheDir
 * @returns {Promise<{ bundles: Bundles, stored: boolean, rebuilt: string[], note?: string }>}
 */
async function rebuild(entry, root, cacheDir) {
  const usable = usableManifest(entry, cacheDir);
  const previous = 'manifest' in usable && usable.manifest.root === root ? usable.manifest : null;
  /** @type {Map<string, string>} bundle file name -> code, for the parts built now */
  const fresh = new Map();
  let changed = false;

  let app = previous && partStaleReason(previous.app, cacheDir) === null ? previous.app : null;
  if (!app) {
    const built = await buildPart({ entry, root, packagesExternal: true }, previous?.app);
    app = { ...built.part, packages: built.packages };
    fresh.set(app.bundle, built.code);
    changed ||= built.changed;
  }
  const samePackages = previous !== null && JSON.stringify(previous.app.packages) === JSON.stringify(app.packages);
  let vendor = previous && samePackages && partStaleReason(previous.vendor, cacheDir) === null ? previous.vendor : null;
  if (!vendor) {
    const built = await buildPart({ stdin: vendorEntry(app.packages), root, packagesExternal: false }, previous?.vendor);
    vendor = built.part;
    fresh.set(vendor.bundle, built.code);
    changed ||= built.changed;
  }
  const rebuilt = [...fresh.keys()].map((name) => (name === app.bundle ? 'app' : 'vendor'));

  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const [name, code] of fresh) writeAtomically(path.join(cacheDir, name), code);
    const bundles = { app: path.join(cacheDir, app.bundle), vendor: path.join(cacheDir, vendor.bundle) };
    if (changed) return { bundles, stored: false, rebuilt, note: 'sources changed while bundling' };
    /** @type {Manifest} */
    const manifest = { format: FORMAT, tool: toolIdentity(), entry, root, app, vendor };
    writeAtomically(path.join(cacheDir, 'manifest.json'), JSON.stringify(manifest));
    removeOldBundles(cacheDir, [app.bundle, vendor.bundle]);
    return { bundles, stored: true, rebuilt };
  } catch (error) {
    // An unwritable cache still runs the fresh code, from a private temporary folder.
    const tmp = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'bundle-cache-'));
    process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
    /** @param {string} name */
    const place = (name) => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, fresh.get(name) ?? fs.readFileSync(path.join(cacheDir, name)));
      return file;
    };
    return { bundles: { app: place(app.bundle), vendor: place(vendor.bundle) }, stored: false, rebuilt, note: `cache not writable: ${/** @type {Error} */ (error).message}` };
  }
}

module.exports = { cachedBundles, rebuild };
