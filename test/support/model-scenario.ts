/**
 * Runs inside the sandbox for verify-model.live.test.ts: the NetworkPolicy rules and Service `restate` of the
 * model, with stand-in servers on the nodes' addresses (no Restate needed for what is checked here).
 */
import { chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { ClusterServiceModel, READINESS, RESTATE_SERVICE_IP } from '../../lib/verify/cluster-service';
import type { ClusterUnderTest } from '../../lib/verify/cluster-spec';
import { isolatedMain } from '../../lib/verify/isolated-main';
import { buildClusterModel } from '../../lib/verify/model';
import { nftApply } from '../../lib/verify/nft';
import { type EnforcedPod, policyRuleset } from '../../lib/verify/policy-nft';
import { PodAgent } from '../../lib/verify/pods';

export interface ModelScenarioInput {
  readonly cluster: ClusterUnderTest;
}

export interface ModelScenarioRecord {
  /** `from -> to:port` → connected. */
  readonly connections: Record<string, boolean>;
  /** Which node answered each call through the Service's ClusterIP, per phase. */
  readonly viaService: { readonly allReady: string[]; readonly node1Unhealthy: string[]; readonly node2Stopped: string[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

isolatedMain<ModelScenarioInput, ModelScenarioRecord>(async ({ cluster }, context) => {
  chmodSync(context.workDir, 0o711);
  const model = buildClusterModel({ cluster, prometheusNamespace: 'monitoring' });
  nftApply(policyRuleset(model.all, model.policies).script);

  // Stand-ins for the nodes: 8080 says who answered, 9070 /health follows `healthy`, 5122 accepts.
  const healthy = model.nodes.map(() => true);
  const running = model.nodes.map(() => true);
  const servers: Server[] = [];
  const listen = (ip: string, port: number, handler: Parameters<typeof createServer>[1]) =>
    new Promise<void>((resolve) => {
      const server = createServer(handler);
      servers.push(server);
      server.listen(port, ip, () => resolve());
    });
  for (const [i, node] of model.nodes.entries()) {
    await listen(node.ip!, 8080, (_req, res) => res.end(node.name));
    await listen(node.ip!, 9070, (_req, res) => {
      res.statusCode = healthy[i] ? 200 : 503;
      res.end();
    });
    await listen(node.ip!, 5122, (_req, res) => res.end('metrics'));
  }
  context.onExit(() => servers.forEach((s) => s.close()));

  const clients = [model.admittedApp!, model.unlistedApp, model.prometheus!, model.operator];
  const agents = new Map<EnforcedPod, PodAgent>(clients.map((p) => [p, new PodAgent(p, context.workDir)]));
  context.onExit(() => agents.forEach((a) => a.stopSync()));
  await Promise.all([...agents.values()].map((a) => a.start()));

  const connections: Record<string, boolean> = {};
  for (const from of clients) {
    for (const port of [8080, 9070, 5122]) {
      const r = await agents.get(from)!.connect(model.nodes[0].ip!, port, 1000);
      connections[`${from.name} -> restate-0:${port}`] = r.connected;
    }
  }

  const services = new ClusterServiceModel(
    model.nodes.map((n, i) => ({ name: n.name, ip: n.ip!, running: () => running[i] })),
    { ...READINESS, periodMs: 100, failureThreshold: 1 },
  );
  context.onExit(() => services.stop());
  for (const n of model.nodes) services.containerStarted(n.name);
  services.start();
  const admitted = agents.get(model.admittedApp!)!;
  const callMany = async (): Promise<string[]> => {
    const seen: string[] = [];
    for (let k = 0; k < 30; k++) {
      const res = await admitted
        .http({ url: `http://${RESTATE_SERVICE_IP}:8080/`, timeoutMs: 2000 })
        .catch((e: Error) => ({ status: 0, body: `error ${e.message}` }));
      seen.push(res.body);
    }
    return seen;
  };
  const settle = async (ready: number) => {
    for (let t = 0; t < 50 && services.ready().length !== ready; t++) await sleep(100);
  };
  await settle(model.nodes.length);
  const allReady = await callMany();
  healthy[1] = false;
  await settle(model.nodes.length - 1);
  const node1Unhealthy = await callMany();
  running[2] = false;
  await settle(model.nodes.length - 2);
  const node2Stopped = await callMany();
  services.stop();
  return { connections, viaService: { allReady, node1Unhealthy, node2Stopped } };
});
