import { buildClusterModel } from '../../lib/verify/model';
import { operatorNetworkPolicies } from '../../lib/operator-part/network-policies';
import { clusterPodLabels } from '../../lib/target-folder/operator-names';
import { connectionAllowed, inCidr, type PolicyPod } from '../../lib/verify/policy-eval';
import { policyChecks } from '../../lib/verify/policy-checks';
import { policyRuleset } from '../../lib/verify/policy-nft';
import { clusterWith } from '../support/restate-fixtures';

const node = (ns: string, name = 'restate-0', ip = '10.244.0.10'): PolicyPod => ({
  name,
  namespace: ns,
  labels: clusterPodLabels(ns),
  podIp: ip,
});
const pod = (ns: string, labels: Record<string, string>, ip = '10.244.1.1'): PolicyPod => ({ name: 'p', namespace: ns, labels, podIp: ip });
const names = (security?: Record<string, unknown>) => operatorNetworkPolicies('restate-dev', security).map((p) => p.name);

describe('the NetworkPolicies of operator 1.7.4', () => {
  test('a cluster without security gets deny-all, DNS, public egress, its egress, and ingress/admin/metrics access', () => {
    // GIVEN no spec.security WHEN the policies are derived THEN they are the seven of reconcile_network_policies
    expect(names()).toEqual([
      'deny-all',
      'allow-egress-to-kube-dns',
      'allow-restate-egress-to-public-internet',
      'allow-restate-egress',
      'allow-ingress-access',
      'allow-admin-access',
      'allow-metrics-access',
    ]);
  });

  test('disableNetworkPolicies leaves none, and an AWS pod identity role adds its egress', () => {
    expect(names({ disableNetworkPolicies: true })).toEqual([]);
    expect(names({ awsPodIdentityAssociationRoleArn: 'arn:aws:iam::1:role/x' })).toContain('allow-restate-egress-to-aws-pod-identity');
  });

  test('unset networkPeers.ingress admits nobody to 8080, [] admits everybody, a list admits its peers only', () => {
    // GIVEN an application pod in namespace shop labelled app=web
    const web = pod('shop', { app: 'web' });
    const other = pod('other', { app: 'web' });
    const peers = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } },
    ];
    // WHEN it connects to 8080 under each setting THEN the operator's rules decide as the CRD documents
    expect(connectionAllowed(operatorNetworkPolicies('restate-dev', undefined), web, node('restate-dev'), 8080).allowed).toBe(false);
    expect(
      connectionAllowed(operatorNetworkPolicies('restate-dev', { networkPeers: { ingress: [] } }), other, node('restate-dev'), 8080)
        .allowed,
    ).toBe(true);
    const listed = operatorNetworkPolicies('restate-dev', { networkPeers: { ingress: peers } });
    expect(connectionAllowed(listed, web, node('restate-dev'), 8080).allowed).toBe(true);
    expect(connectionAllowed(listed, other, node('restate-dev'), 8080).allowed).toBe(false);
    expect(connectionAllowed(listed, web, node('restate-dev'), 9070).allowed).toBe(false);
  });

  test('the operator reaches 9070 unless allowOperatorAccessToAdmin is false; [] admin peers admit everybody', () => {
    const operator = pod('restate-operator', { app: 'restate-operator' });
    const stranger = pod('elsewhere', { app: 'x' });
    expect(connectionAllowed(operatorNetworkPolicies('restate-dev', undefined), operator, node('restate-dev'), 9070).allowed).toBe(true);
    expect(
      connectionAllowed(operatorNetworkPolicies('restate-dev', { allowOperatorAccessToAdmin: false }), operator, node('restate-dev'), 9070)
        .allowed,
    ).toBe(false);
    expect(
      connectionAllowed(operatorNetworkPolicies('restate-dev', { networkPeers: { admin: [] } }), stranger, node('restate-dev'), 9070)
        .allowed,
    ).toBe(true);
  });

  test('5122 is open to the cluster own pods and the metrics peers, and to nothing else', () => {
    const prometheus = pod('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
    const metrics = [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ];
    const policies = operatorNetworkPolicies('restate-dev', { networkPeers: { metrics } });
    expect(connectionAllowed(policies, node('restate-dev', 'restate-1'), node('restate-dev'), 5122).allowed).toBe(true);
    expect(connectionAllowed(policies, prometheus, node('restate-dev'), 5122).allowed).toBe(true);
    expect(connectionAllowed(operatorNetworkPolicies('restate-dev', undefined), prometheus, node('restate-dev'), 5122).allowed).toBe(false);
    // A pod of another cluster's namespace with the same labels is not one of the cluster's own.
    expect(connectionAllowed(policies, node('restate-other'), node('restate-dev'), 5122).allowed).toBe(false);
  });

  test('Restate reaches pods labelled allow.restate.dev/<cluster> on any port, other in-cluster pods only through networkEgressRules', () => {
    const deployment = pod('apps', { 'allow.restate.dev/restate-dev': 'true' });
    const minio = pod('minio', { app: 'minio' });
    const rule = {
      to: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'minio' } }, podSelector: { matchLabels: { app: 'minio' } } },
      ],
      ports: [{ port: 9000, protocol: 'TCP' as const }],
    };
    const plain = operatorNetworkPolicies('restate-dev', undefined);
    expect(connectionAllowed(plain, node('restate-dev'), deployment, 9080).allowed).toBe(true);
    expect(connectionAllowed(plain, node('restate-dev'), minio, 9000).allowed).toBe(false);
    const withRule = operatorNetworkPolicies('restate-dev', { networkEgressRules: [rule] });
    expect(connectionAllowed(withRule, node('restate-dev'), minio, 9000).allowed).toBe(true);
    expect(connectionAllowed(withRule, node('restate-dev'), minio, 9001).allowed).toBe(false);
  });

  test('public addresses are reachable from Restate pods, private ones are not', () => {
    const plain = operatorNetworkPolicies('restate-dev', undefined);
    expect(connectionAllowed(plain, node('restate-dev'), pod('outside', {}, '203.0.113.10'), 443).allowed).toBe(true);
    expect(connectionAllowed(plain, node('restate-dev'), pod('outside', {}, '10.1.2.3'), 443).allowed).toBe(false);
    expect(connectionAllowed(plain, node('restate-dev'), pod('outside', {}, '172.20.0.1'), 443).allowed).toBe(false);
    expect(inCidr('127.0.0.5', '0.0.0.0/1')).toBe(true);
    expect(inCidr('192.168.3.4', '128.0.0.0/1')).toBe(true);
    expect(inCidr('10.0.0.1', '192.168.0.0/16')).toBe(false);
  });
});

/** A three-node cluster whose metrics peers admit Prometheus (in `monitoring`, labelled as kube-prometheus-stack does). */
function prometheusPeerCluster() {
  return {
    ...clusterWith('default-num-partitions = 8\n'),
    security: {
      networkPeers: {
        metrics: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
      },
    },
  };
}

describe('the nftables rules of the model', () => {
  test('accept exactly the connections the policies allow, by socket uid and destination, and drop the rest', () => {
    // GIVEN the model of a three-node cluster with metrics peers for the Job and Prometheus
    const cluster = prometheusPeerCluster();
    const model = buildClusterModel({ cluster, prometheusNamespace: 'monitoring' });

    // WHEN the rules are compiled
    const rules = policyRuleset(model.all, model.policies);

    // THEN Prometheus (uid) may reach 5122 of each node, not 8080; the unlisted client nothing; others are dropped
    const [n0] = model.nodes;
    expect(rules.script).toContain(`meta skuid ${model.prometheus!.uid} ip daddr ${n0.ip} tcp dport 5122 accept`);
    expect(rules.script).not.toContain(`meta skuid ${model.prometheus!.uid} ip daddr ${n0.ip} tcp dport 8080 accept`);
    expect(rules.script).not.toMatch(new RegExp(`meta skuid ${model.unlistedApp.uid} ip daddr 127\\.0\\.0\\.\\d+ `));
    expect(rules.script).toContain(`meta skuid ${n0.uid} ip daddr ${model.service.ip} tcp dport 9080 accept`);
    expect(rules.script).toContain(`meta skuid ${n0.uid} ip daddr ${model.kubeDns.ip} udp dport 53 accept`);
    expect(rules.script).toMatch(/ct state established,related accept\n {4}meta skuid 0 accept\n/);
    expect(rules.script).toMatch(/meta skuid \{ [\d, ]+ \} drop\n {4}ip daddr \{ [\d., ]+ \} drop\n/);
    expect(rules.accepted).toBeGreaterThan(0);
    expect(rules.refused).toBeGreaterThan(0);
  });

  test('the checks require the Job and Prometheus to reach 5122 and an admitted client 8080, and refuse the unlisted one', () => {
    // GIVEN a cluster that admits namespace shop to its ingress, with a Job and Prometheus
    const cluster = {
      ...clusterWith('default-num-partitions = 8\n'),
      security: { networkPeers: { ingress: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }] } },
    };
    const model = buildClusterModel({
      cluster,
      prometheusNamespace: 'monitoring',
      job: { namespace: 'restate-operator', podLabels: { app: 'job' } },
    });

    // WHEN the checks are listed
    const checks = policyChecks(model);

    // THEN the requirements stand whatever the policies say, and the unlisted client's 8080 is refused
    const required = checks.filter((c) => c.expect && !c.why.includes('the policies'));
    expect(required.filter((c) => c.from === model.job && c.port === 5122)).toHaveLength(model.nodes.length);
    expect(required.filter((c) => c.from === model.prometheus && c.port === 5122)).toHaveLength(model.nodes.length);
    expect(required.filter((c) => c.from === model.admittedApp && c.port === 8080)).toHaveLength(model.nodes.length);
    expect(model.admittedApp!.namespace).toBe('shop');
    expect(checks.filter((c) => c.from === model.unlistedApp && c.port === 8080).every((c) => !c.expect)).toBe(true);
    // Prometheus is not a metrics peer here: the derived check says it is refused 5122, the requirement says it must reach it.
    expect(connectionAllowed(model.policies, model.prometheus!, model.nodes[0], 5122).allowed).toBe(false);
  });

  test('with a real Prometheus scraping, no agent connection stands for its 5122 requirement; its derived 8080 check stays', () => {
    // GIVEN a cluster whose metrics peers admit Prometheus
    const cluster = prometheusPeerCluster();
    const model = buildClusterModel({ cluster, prometheusNamespace: 'monitoring' });

    // WHEN the checks are listed with and without Prometheus's own scrapes standing for the requirement
    const byAgent = policyChecks(model).filter((c) => c.from === model.prometheus);
    const byPrometheus = policyChecks(model, true).filter((c) => c.from === model.prometheus);

    // THEN only the 5122 requirements move to Prometheus; the refused ingress is still tried from its pod
    expect(byAgent.filter((c) => c.port === 5122)).toHaveLength(model.nodes.length);
    expect(byPrometheus.filter((c) => c.port === 5122)).toEqual([]);
    expect(byPrometheus.map((c) => [c.port, c.expect])).toEqual(model.nodes.map(() => [8080, false]));
  });
});
