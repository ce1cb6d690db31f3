/**
 * Jest globalSetup: one private TMPDIR for the run (./temp-root.js), then the Kubernetes control plane when a
 * selected test file starts one (lib/control-plane/build.ts: found in the cache in a few milliseconds, or built
 * once per pin, with progress lines here before any test runs). Its folder is passed to the test workers in
 * $RESTATE_STACK_CONTROL_PLANE_BIN. A run that selects no such file (e.g. `npm run test:unit`) needs no Go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureControlPlane } from '../../lib/control-plane/build';
import { ControlPlaneError } from '../../lib/control-plane/errors';

// CommonJS, shared with globalTeardown: the first call makes the folder, the second removes it.
const temporaryRoot = require('./temp-root.js') as () => Promise<void>;

interface PatternsLike {
  toExecutor?(options: { rootDir: string }): { isMatch(path: string): boolean };
}

/** What jest passes to a global setup, as far as it is read here. */
interface GlobalConfigLike {
  readonly rootDir: string;
  readonly testPathPatterns?: PatternsLike;
}
interface ProjectConfigLike {
  readonly rootDir: string;
  readonly testPathIgnorePatterns?: readonly string[];
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * The test files this run selects (by its path patterns and ignore patterns) that use the control plane: those that
 * call startControlPlane, findControlPlane or ensureControlPlane, or start one through GitopsCluster.start.
 */
export function controlPlaneTestFiles(globalConfig: GlobalConfigLike, projectConfig: ProjectConfigLike): string[] {
  const ignore = (projectConfig.testPathIgnorePatterns ?? []).map((pattern) => new RegExp(pattern));
  const selected = globalConfig.testPathPatterns?.toExecutor?.({ rootDir: globalConfig.rootDir });
  return testFiles(join(projectConfig.rootDir, 'test')).filter(
    (file) =>
      !ignore.some((pattern) => pattern.test(file)) &&
      (selected?.isMatch(file) ?? true) &&
      /\b(startControlPlane|findControlPlane|ensureControlPlane|GitopsCluster\.start)\b/.test(readFileSync(file, 'utf8')),
  );
}

export default async function globalSetup(globalConfig: GlobalConfigLike, projectConfig: ProjectConfigLike): Promise<void> {
  await temporaryRoot();
  try {
    if (controlPlaneTestFiles(globalConfig, projectConfig).length === 0) return;
    const { binaries } = await ensureControlPlane();
    process.env.RESTATE_STACK_CONTROL_PLANE_BIN = binaries.dir;
  } catch (error) {
    await temporaryRoot(); // removes it: jest runs no global teardown after a failed setup
    if (error instanceof ControlPlaneError) {
      // One line, without a stack trace: what is missing and how to get it.
      error.stack = `control plane: ${error.message}`;
    }
    throw error;
  }
}
