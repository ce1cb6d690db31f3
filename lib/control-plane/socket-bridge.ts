/**
 * A byte-for-byte TCP bridge between two network namespaces through a unix socket (a file both see), for the real
 * operator's own network namespace (lib/verify/operator-binary.ts): nothing of either namespace is reachable from the other
 * but the one address bridged. Two modes, one process each:
 *
 *   unix-to-tcp SOCKET HOST PORT [HOSTS NAME]   listens on SOCKET; each connection goes to HOST:PORT, or, with HOSTS,
 *                                               to the address NAME has in that hosts file at the time (a pod's)
 *   tcp-to-unix HOST PORT SOCKET READY          listens on HOST:PORT; each connection goes to SOCKET; touches READY
 *                                               once it listens
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

function pipe(from: Socket, to: Socket): void {
  from.pipe(to);
  to.pipe(from);
  const end = () => {
    from.destroy();
    to.destroy();
  };
  from.on('error', end).on('close', end);
  to.on('error', end).on('close', end);
}

/** NAME's address in a hosts file, or undefined. */
function lookup(hosts: string, name: string): string | undefined {
  for (const line of readFileSync(hosts, 'utf8').split('\n')) {
    const [address, ...names] = line.trim().split(/\s+/);
    if (names.includes(name)) return address;
  }
  return undefined;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'unix-to-tcp') {
  const [socket, host, port, hosts, name] = args;
  createServer((client) => {
    const target = hosts ? lookup(hosts, name) : host;
    if (!target) return void client.destroy();
    pipe(client, connect(Number(port), target));
  }).listen(socket);
} else if (mode === 'tcp-to-unix') {
  const [host, port, socket, ready] = args;
  createServer((client) => pipe(client, connect(socket))).listen(Number(port), host, () => writeFileSync(ready, ''));
} else {
  process.stderr.write(`socket-bridge: unknown mode ${mode}\n`);
  process.exit(2);
}
