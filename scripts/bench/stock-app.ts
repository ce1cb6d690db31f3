import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from './timing';

/** A copy of this app set up the way `cdk8s init typescript-app` sets one up, outside the repository. */
export interface StockApp {
  readonly dir: string;
  /** `cdk8s synth` in the copy. */
  readonly command: Command;
  /** Where the one target lands. */
  readonly outdir: string;
  /** The copy's `app:` command: cdk8s-cli's TypeScript template runner on main.ts, for one target. */
  readonly appCommand: string;
  remove(): void;
}

/** The `app:` line of the TypeScript template that ships with the installed cdk8s-cli. */
function templateAppCommand(root: string): string {
  const file = join(root, 'node_modules', 'cdk8s-cli', 'templates', 'typescript-app', 'cdk8s.yaml');
  const match = /^app:\s*(.+)$/m.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`no "app:" line in ${file}`);
  return match[1].trim();
}

/**
 * Copies the app (entry point, sources, values, and the bundle cache that `npm run synth` uses) to a scratch folder, links node_modules, and writes a
 * cdk8s.yaml whose `app` is the template's stock ts-node runner on our main.ts, asked for one target.
 * `cdk8s synth` empties dist/ and runs it; main.ts writes that target to dist/<environment>/<provider>/.
 */
export function prepareStockApp(root: string, target: { environment: string; provider: string }): StockApp {
  const dir = mkdtempSync(join(tmpdir(), 'restate-stack-bench-stock-'));
  for (const entry of ['main.ts', 'lib', 'imports', 'values', 'scripts/bundle-cache', 'tsconfig.json', 'package.json']) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const templateApp = templateAppCommand(root);
  const appCommand = `${templateApp} --environment ${target.environment} --provider ${target.provider}`;
  writeFileSync(join(dir, 'cdk8s.yaml'), `language: typescript\napp: ${appCommand}\n`);
  return {
    dir,
    outdir: join(dir, 'dist', target.environment, target.provider),
    appCommand,
    command: { name: 'stock', program: join(root, 'node_modules', '.bin', 'cdk8s'), args: ['synth'], cwd: dir },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
