import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The committed stand-in for `helm` (see its header for what it checks and prints). */
export const HELM_STAND_IN = resolve(__dirname, '..', 'fixtures', 'helm');

/** What one run of the stand-in must be called with, beyond the pinned chart and version. */
export interface HelmStandInExpectations {
  /** Expected `--namespace`. @default "restate-operator" */
  readonly namespace?: string;
  /** Expected release name. @default "restate-operator" */
  readonly release?: string;
  /** Expected content of the `-f` values file. @default - no `-f` may be passed */
  readonly values?: unknown;
  /** Expected `--version`. @default "1.7.4" */
  readonly version?: string;
  /** Whether `--include-crds` is expected. @default true */
  readonly includeCrds?: boolean;
}

/**
 * A `helm` program for one test: a wrapper script that runs the stand-in with these expectations. A wrapper
 * rather than environment variables, because jest gives each test file its own copy of `process.env`, which
 * programs spawned by cdk8s do not see.
 */
export class HelmStandIn {
  /** Pass this as `helmExecutable`. */
  public readonly executable: string;
  private readonly dir: string;

  constructor(expectations: HelmStandInExpectations | readonly HelmStandInExpectations[] = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'helm-stand-in-'));
    const expectFile = join(this.dir, 'expect.json');
    writeFileSync(expectFile, JSON.stringify(expectations));
    this.executable = join(this.dir, 'helm');
    writeFileSync(this.executable, `#!/bin/sh\nHELM_STAND_IN_EXPECT=${quote(expectFile)} exec ${quote(HELM_STAND_IN)} "$@"\n`, {
      mode: 0o755,
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `work` with a stand-in that expects `expectations`, removing it afterwards. */
export function withHelmStandIn<T>(
  expectations: HelmStandInExpectations | readonly HelmStandInExpectations[],
  work: (executable: string) => T,
): T {
  const standIn = new HelmStandIn(expectations);
  try {
    return work(standIn.executable);
  } finally {
    standIn.remove();
  }
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
