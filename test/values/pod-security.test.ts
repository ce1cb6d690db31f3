import { join } from 'node:path';
import { App, Testing } from 'cdk8s';
import { buildStack } from '../../lib/stack/stack';
import { DEFAULT_POD_SECURITY_LEVEL, loadTargetValues, operatorPodHasSeccomp, type StackValues } from '../../lib/values';
import { ValuesDir } from '../support/values-dir';

let dir: ValuesDir;
beforeEach(() => {
  dir = new ValuesDir();
});
afterEach(() => dir.remove());

const DEV = 'environments/dev.yaml';
const at = (message: string) => `${join(dir.path, DEV)}: ${message}`;
const LEVEL = ['operator', 'podSecurityLevel'];

/** The labels the target puts on the operator's namespace (Argo CD's managedNamespaceMetadata for dev/vultr). */
function namespaceLabels(values: StackValues): Record<string, string> {
  const app = new App();
  buildStack(app, values);
  const objects = app.charts.flatMap((chart) => Testing.synth(chart));
  const operator = objects.find((o) => o.kind === 'Application' && o.metadata.name === values.operator.releaseName);
  return operator.spec.syncPolicy.managedNamespaceMetadata.labels;
}

describe('operator.podSecurityLevel: the Pod Security Standards level of the operator namespace', () => {
  test('unset, the namespace enforces, audits and warns at baseline: the level the operator pod meets', () => {
    // GIVEN the shipped values, which leave it unset
    const values = loadTargetValues(dir.path, 'dev', 'vultr').values;
    expect(values.operator.podSecurityLevel).toBeUndefined();
    // WHEN the target is built THEN
    expect(DEFAULT_POD_SECURITY_LEVEL).toBe('baseline');
    expect(namespaceLabels(values)).toEqual({
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/audit': 'baseline',
      'pod-security.kubernetes.io/warn': 'baseline',
    });
  });

  test('privileged is taken as written', () => {
    dir.set(DEV, LEVEL, 'privileged');
    const values = loadTargetValues(dir.path, 'dev', 'vultr').values;
    expect(values.operator.podSecurityLevel).toBe('privileged');
    expect(namespaceLabels(values)['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('a level that is not a Pod Security Standard is refused, naming the file and key', () => {
    dir.set(DEV, LEVEL, 'strict');
    expect(dir.errorsOf()).toEqual([at('operator.podSecurityLevel: must be one of privileged, baseline, restricted, got "strict"')]);
  });

  test("restricted without a seccomp profile in the chart values is refused: it would refuse the operator's own pod", () => {
    dir.set(DEV, LEVEL, 'restricted');
    expect(dir.errorsOf()).toEqual([
      at(
        "operator.podSecurityLevel: restricted would refuse the operator's own pod: the chart sets no seccomp profile. " +
          'Set operator.chartValues.podSecurityContext.seccompProfile: {type: RuntimeDefault} as well, or keep baseline (docs/pod-security.md)',
      ),
    ]);
  });

  test('restricted with a RuntimeDefault seccomp profile for the operator pod is taken, and labels the namespace restricted', () => {
    dir
      .set(DEV, LEVEL, 'restricted')
      .set(DEV, ['operator', 'chartValues', 'podSecurityContext'], { seccompProfile: { type: 'RuntimeDefault' } });
    const values = loadTargetValues(dir.path, 'dev', 'vultr').values;
    expect(namespaceLabels(values)['pod-security.kubernetes.io/warn']).toBe('restricted');
  });
});

describe('operatorPodHasSeccomp reads the seccomp profile as the PodSecurity plugin does', () => {
  test.each([
    [{}, false],
    [{ podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, true],
    [{ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } }, true],
    [{ podSecurityContext: { seccompProfile: { type: 'Unconfined' } } }, false],
    // the container's profile wins over the pod's
    [
      { podSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } }, securityContext: { seccompProfile: { type: 'Unconfined' } } },
      false,
    ],
    // a pod-level Unconfined is refused even when the container sets its own
    [
      { podSecurityContext: { seccompProfile: { type: 'Unconfined' } }, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
      false,
    ],
  ])('%j: %s', (chartValues, expected) => {
    expect(operatorPodHasSeccomp(chartValues)).toBe(expected);
  });
});
