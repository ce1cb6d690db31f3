/**
 * Serves a folder over HTTP on 127.0.0.1 while a command runs, for a test that starts both inside a network namespace
 * of its own (`unshare --net`, see lib/verify/linux-namespaces.ts): brings `lo` up, listens on a free port, runs the
 * command with every `{port}` in its arguments replaced by that port, and exits with the command's status. A path
 * that is not a file of the folder answers 404.
 *
 * Usage: tsx test/support/serve-folder.ts DIR -- COMMAND [ARGS...]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';

const [folder, separator, command, ...args] = process.argv.slice(2);
if (!folder || separator !== '--' || !command) {
  process.stderr.write('usage: tsx test/support/serve-folder.ts DIR -- COMMAND [ARGS...]\n');
  process.exit(2);
}
const root = resolve(folder);
const lo = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
if (lo.status !== 0) {
  process.stderr.write(`serve-folder: ip link set lo up failed: ${(lo.stderr || lo.error?.message || '').trim()}\n`);
  process.exit(2);
}

const server = createServer((request, response) => {
  Promise.resolve()
    .then(() => {
      const path = resolve(root, `.${decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)}`);
      if (!path.startsWith(`${root}${sep}`)) throw new Error(`${path} is outside ${root}`);
      return readFile(path);
    })
    .then((body) => response.writeHead(200, { 'content-type': 'text/yaml' }).end(body))
    .catch(() => response.writeHead(404, 'Not Found').end());
});
server.listen(0, '127.0.0.1', () => {
  const port = String((server.address() as AddressInfo).port);
  const child = spawn(
    command,
    args.map((arg) => arg.replaceAll('{port}', port)),
    { stdio: 'inherit' },
  );
  child.on('close', (code) => server.close(() => process.exit(code ?? 1)));
});
