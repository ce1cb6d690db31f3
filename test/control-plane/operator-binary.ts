/**
 * A real restate-operator binary run against a test control plane, as the chart's Deployment runs it: started by
 * verify's own lib/verify/operator-binary.ts (no arguments, the Deployment's environment, `KUBECONFIG` the control
 * plane's admin kubeconfig, inside the control plane's network namespace), re-exported here, and in a network
 * namespace of its own beside the podlet's pods (startOperatorInOwnNetwork). Used by scripts/record-operator-objects.ts
 * and the operator-part and podlet live tests.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ControlPlane } from '../../lib/control-plane/harness';
import { logTail, type OperatorProcess, startOperator, wrongBinary } from '../../lib/verify/operator-binary';

export { logTail, type OperatorProcess, startOperator, wrongBinary };

/** What the operator reaches from a network namespace of its own (startOperatorInOwnNetwork). */
export interface OwnNetwork {
  /** A folder for its sockets, hosts file and scripts (unix socket paths are limited to 107 bytes). */
  readonly dir: string;
  /**
   * Names it resolves to a pod, each reachable on `port` only: its connections go to the address the name has in
   * `hosts` (the podlet's hosts file of the pod's namespace) at that time. E.g. 2.8.1's provisioning call to
   * `restate-0.restate-cluster.<ns>.svc.cluster.local:5122` (provisioning.rs:119 @2.8.1).
   */
  readonly pods?: readonly { readonly name: string; readonly port: number; readonly hosts: string }[];
}

/**
 * startOperator, but in a network namespace of its own, as in its pod: the operator serves /health and /metrics on
 * every address's port 8080 (`0.0.0.0:8080`, src/main.rs:104 @v1.7.4; `[::]:8080`, src/main.rs:158 @v2.8.1), the
 * port every Restate pod's ingress binds on its own address in the control plane's namespace, where the podlet runs
 * them: beside them there, one or the other fails with "Address in use". From its namespace it reaches the API server
 * (127.0.0.1:6443) and the `pods` given, nothing else, each through ./socket-bridge.ts (a unix socket in `dir`).
 */
export async function startOperatorInOwnNetwork(
  cp: ControlPlane,
  bin: string,
  env: Readonly<Record<string, string>>,
  log: string,
  network: OwnNetwork,
): Promise<OperatorProcess> {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const bridge = join(__dirname, 'socket-bridge.ts');
  const node = (...args: string[]) => [process.execPath, '--import', tsx, bridge, ...args];
  const forwards = [
    { listen: '127.0.0.1', port: 6443, name: 'localhost', cpSide: ['127.0.0.1', '6443'] },
    ...(network.pods ?? []).map((p, i) => ({
      listen: `127.0.1.${i + 1}`,
      port: p.port,
      name: p.name,
      cpSide: ['-', String(p.port), p.hosts, p.name],
    })),
  ].map((f, i) => ({ ...f, socket: join(network.dir, `bridge-${i}.sock`), ready: join(network.dir, `bridge-${i}.ready`) }));
  for (const f of forwards) {
    const [command, ...args] = node('unix-to-tcp', f.socket, ...f.cpSide);
    cp.start(command, args, join(network.dir, `bridge-${forwards.indexOf(f)}.log`));
  }
  const deadline = Date.now() + 30_000;
  while (!forwards.every((f) => existsSync(f.socket))) {
    if (Date.now() > deadline) throw new Error(`the operator's socket bridges did not listen within 30 s (logs in ${network.dir})`);
    await new Promise((done) => setTimeout(done, 50));
  }
  const hosts = join(network.dir, 'hosts');
  writeFileSync(hosts, ['127.0.0.1\tlocalhost', ...forwards.slice(1).map((f) => `${f.listen}\t${f.name}`), ''].join('\n'), { mode: 0o644 });
  const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
  const inner = join(network.dir, 'in-own-network.sh');
  writeFileSync(
    inner,
    [
      'set -e',
      'ip link set lo up',
      ...forwards.map(
        (f) => `setpriv --pdeathsig KILL -- ${node('tcp-to-unix', f.listen, String(f.port), f.socket, f.ready).map(quote).join(' ')} &`,
      ),
      `until ${forwards.map((f) => `[ -e ${quote(f.ready)} ]`).join(' && ')}; do sleep 0.1; done`,
      `mount --bind ${quote(hosts)} /etc/hosts`,
      `exec ${quote(bin)}`,
      '',
    ].join('\n'),
  );
  const outer = join(network.dir, 'operator.sh');
  writeFileSync(outer, `#!/bin/sh\nexec unshare --net --mount --propagation private -- /bin/sh ${quote(inner)}\n`);
  chmodSync(outer, 0o755);
  return startOperator(cp, outer, env, log);
}
