import Module = require('node:module');

type NodeLoader = { _load(request: string, parent: null, isMain: boolean): unknown };

/**
 * Loads a file with Node's own module loader, outside jest's module registry.
 *
 * Why: jest runs this project's tests as CommonJS (@swc/jest). Its registry cannot evaluate ES modules, and a
 * dynamic `import()` in a test needs `node --experimental-vm-modules`. Node itself can: from Node 20.19 on,
 * `require()` loads an ES module that has no top-level await. jest replaces `module.createRequire` with its
 * own, so this goes through `Module._load`, the function behind every native `require`. The package's
 * `exports` map only has an `import` condition, hence a file path rather than a package specifier.
 */
export function nativeRequire(file: string): unknown {
  try {
    return (Module as unknown as NodeLoader)._load(file, null, false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_REQUIRE_ESM') {
      throw new Error(`${file} is an ES module, which require() loads only on Node 20.19 or later (this is ${process.version})`);
    }
    throw error;
  }
}
