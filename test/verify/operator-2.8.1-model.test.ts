import { readinessOf, READINESS } from '../../lib/verify/cluster-service';
import { buildClusterModel } from '../../lib/verify/model';
import { OPERATOR_1_7_4, operatorNetworkPolicies } from '../../lib/operator-part/network-policies';
import { operatorPodEnv } from '../../lib/verify/operator-env';
import { policyChecks } from '../../lib/verify/policy-checks';
import { connectionAllowed, type PolicyPod } from '../../lib/verify/policy-eval';
import { clusterPodLabels, FABRIC_PORT } from '../../lib/target-folder/operator-names';
import { clusterWith } from '../support/restate-fixtures';

const node = (ns: string): PolicyPod => ({ name: 'restate-0', namespace: ns, labels: clusterPodLabels(ns), podIp: '10.244.0.10' });
const operatorPod: PolicyPod = {
  name: 'restate-operator',
  namespace: 'restate-operator',
  labels: { app: 'restate-operator' },
  podIp: '10.244.0.50',
};
const other: PolicyPod = { name: 'sidecar', namespace: 'restate-dev', labels: { app: 'other' }, podIp: '10.244.0.60' };
const policies = (operatorVersion: '1.7.4' | '2.8.1', autoProvision = false) =>
  operatorNetworkPolicies('restate-dev', undefined, OPERATOR_1_7_4, { operatorVersion, autoProvision });

describe('the model follows the operator version of the target', () => {
  test("2.8.1 narrows deny-all and DNS egress to the cluster's pods, and renames the DNS policy", () => {
    // WHEN
    const byName = new Map(policies('2.8.1').map((p) => [p.name, p]));
    // THEN
    expect([...byName.keys()]).toContain('allow-egress-to-dns');
    expect(byName.has('allow-egress-to-kube-dns')).toBe(false);
    expect(byName.get('deny-all')!.podSelector).toEqual({ matchLabels: clusterPodLabels('restate-dev') });
    expect(byName.get('allow-egress-to-dns')!.egress![0]!.peers).toContainEqual({ ipBlock: { cidr: '169.254.20.10/32' } });
    // a pod of the namespace that is not Restate's: its egress is denied at 1.7.4 (deny-all selects every pod), not at 2.8.1
    expect(connectionAllowed(policies('1.7.4'), other, operatorPod, 80).allowed).toBe(false);
    expect(connectionAllowed(policies('2.8.1'), other, operatorPod, 80).allowed).toBe(true);
    // the Restate pods stay denied either way
    expect(connectionAllowed(policies('2.8.1'), node('restate-dev'), operatorPod, 80).allowed).toBe(false);
  });

  test('with autoProvision, 2.8.1 admits the operator to 5122; without it, and at 1.7.4, it does not', () => {
    expect(connectionAllowed(policies('2.8.1', true), operatorPod, node('restate-dev'), FABRIC_PORT).allowed).toBe(true);
    expect(connectionAllowed(policies('2.8.1', false), operatorPod, node('restate-dev'), FABRIC_PORT).allowed).toBe(false);
    expect(connectionAllowed(policies('1.7.4', true), operatorPod, node('restate-dev'), FABRIC_PORT).allowed).toBe(false);
  });

  test('the readiness probe waits 30 s at 2.8.1 and not at 1.7.4', () => {
    expect(readinessOf('1.7.4')).toEqual(READINESS);
    expect(readinessOf('2.8.1')).toEqual({ ...READINESS, initialDelayMs: 30_000 });
  });

  test('the pod env of 2.8.1 has POD_ZONE and POD_REGION after POD_NAME; 1.7.4 has neither', () => {
    const env281 = Object.keys(operatorPodEnv({ ...clusterWith(''), operatorVersion: '2.8.1' }, 0).env);
    expect(env281.slice(0, 3)).toEqual(['POD_NAME', 'POD_ZONE', 'POD_REGION']);
    expect(Object.keys(operatorPodEnv(clusterWith(''), 0).env)).not.toContain('POD_ZONE');
  });

  test('a cluster the operator provisions requires the operator to reach every node on 5122 in the live checks', () => {
    const model = buildClusterModel({ cluster: { ...clusterWith(''), operatorVersion: '2.8.1', autoProvision: true } });
    const checks = policyChecks(model).filter((c) => c.from === model.operator && c.port === FABRIC_PORT);
    expect(checks).toHaveLength(model.nodes.length);
    expect(checks.every((c) => c.expect)).toBe(true);
    expect(
      policyChecks(buildClusterModel({ cluster: clusterWith('') })).filter((c) => c.port === FABRIC_PORT && c.why.includes('provisions')),
    ).toEqual([]);
  });
});
