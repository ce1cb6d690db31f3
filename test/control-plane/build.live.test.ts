/**
 * The control plane build with the real `go`: an unchanged pin is found in the cache, a module the proxy does not
 * give fails the build in one line, and the binaries are what the pin says (static, at the pinned versions).
 * Needs Go; the global setup has built (or found) the binaries before this file runs.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Binary, ensureControlPlane, findControlPlane, MODULE_DIR } from '../../lib/control-plane/build';
import { ControlPlaneError } from '../../lib/control-plane/errors';
import { readPin } from '../../lib/control-plane/pin';
import { silentProgress } from '../../lib/control-plane/progress';

const pin = readPin(readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8'));

/** Does this ELF executable name a dynamic loader (a PT_INTERP program header)? Static Go binaries do not. */
function hasInterpreter(file: string): boolean {
  const elf = readFileSync(file);
  expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(elf[4]).toBe(2); // 64-bit
  const [phoff, phentsize, phnum] = [Number(elf.readBigUInt64LE(0x20)), elf.readUInt16LE(0x36), elf.readUInt16LE(0x38)];
  return Array.from({ length: phnum }, (_, i) => elf.readUInt32LE(phoff + i * phentsize)).includes(3);
}

function removeModuleCache(dir: string): void {
  // Go writes its module cache read-only.
  const writable = (path: string) => {
    chmodSync(path, 0o700);
    for (const entry of readdirSync(path, { withFileTypes: true })) if (entry.isDirectory()) writable(join(path, entry.name));
  };
  if (existsSync(dir)) writable(dir);
  rmSync(dir, { recursive: true, force: true });
}

describe('the control plane build', () => {
  test('an unchanged pin is found in the cache, not built again', async () => {
    // GIVEN the binaries the global setup built or found
    const binaries = await findControlPlane();

    // WHEN they are asked for again, with the cache located from go.mod, go.sum and Go (not from the setup's hint)
    const { RESTATE_STACK_CONTROL_PLANE_BIN: _hint, ...env } = process.env;
    const again = await ensureControlPlane({ env, progress: silentProgress });

    // THEN the same folder is found and nothing is built
    expect(again.built).toBe(false);
    expect(again.binaries.dir).toBe(binaries.dir);
    expect(again.binaries.kubernetes).toBe(pin.kubernetes);
  });

  test('every binary is static (CGO_ENABLED=0) and the folder holds the pinned versions', async () => {
    const binaries = await findControlPlane();
    const names = Object.keys(binaries.paths) as Binary[];
    expect(names.sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl']);
    expect(names.filter((name) => hasInterpreter(binaries.paths[name]))).toEqual([]);
    expect([binaries.kubernetes, `v${binaries.etcd}`]).toEqual([pin.kubernetes, pin.etcd]);
  });

  test('a folder without its manifest (a build that did not finish) is not taken for the binaries', async () => {
    // GIVEN an empty folder named as the binaries' folder
    const empty = mkdtempSync(join(tmpdir(), 'cp-empty-'));

    // WHEN the binaries are looked for there
    const failure = await findControlPlane({ ...process.env, RESTATE_STACK_CONTROL_PLANE_BIN: empty }).catch((error: unknown) => error);

    // THEN one line says they are not built and how to build them
    expect(failure).toBeInstanceOf(ControlPlaneError);
    expect((failure as Error).message).toBe(
      `the control plane is not built in ${empty}: run \`npm run control-plane:build\` (npm test builds it first when a selected test uses it)`,
    );
  });

  test('a module the proxy does not give fails the build in one line naming it, and leaves no half-built folder', async () => {
    // GIVEN an empty module cache, no module proxy, and an empty binaries cache
    const scratch = mkdtempSync(join(tmpdir(), 'cp-offline-'));
    const cacheRoot = join(scratch, 'cache');
    const env = { ...process.env, GOPROXY: 'off', GOMODCACHE: join(scratch, 'modules'), RESTATE_STACK_CONTROL_PLANE_CACHE: cacheRoot };
    try {
      // WHEN the control plane is built
      const failure = await ensureControlPlane({ env, progress: silentProgress }).catch((error: unknown) => error);

      // THEN the first module go.mod lists is named with Go's reason, in one line, and only the log is left
      expect(failure).toBeInstanceOf(ControlPlaneError);
      const message = (failure as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(
        /^the Go module proxy \(GOPROXY=off\) did not give [\w./-]+@v[\w.+-]+: module lookup disabled by GOPROXY=off; make the proxy reachable/,
      );
      expect(readdirSync(cacheRoot)).toEqual(['last-build.log']);
    } finally {
      removeModuleCache(join(scratch, 'modules'));
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
