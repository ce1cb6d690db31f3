import { applicationHealthLua, restateClusterHealthLua } from '../../../lib/stack/gitops/health-checks';
import { lua51SyntaxError, runHealthCheck } from '../../support/lua51';

/** A RestateCluster with the status operator 1.7.4 writes: one Ready condition (controller.rs:215-288). */
function cluster(condition?: { status: string; reason: string; message: string }): Record<string, unknown> {
  const base = {
    apiVersion: 'restate.dev/v1',
    kind: 'RestateCluster',
    metadata: { name: 'restate-dev' },
    spec: { compute: { image: 'restatedev/restate:1.4' } },
  };
  if (!condition) return base;
  return { ...base, status: { conditions: [{ type: 'Ready', lastTransitionTime: '2026-12-01T10:00:00Z', ...condition }] } };
}

describe('the Lua runtime of these tests', () => {
  test('is Lua 5.1 and refuses what only 5.2 and later parse: goto, integer division, bitwise operators', () => {
    // GIVEN snippets of Lua 5.2+ syntax WHEN compiled THEN each is a syntax error in this VM, while 5.1 code compiles
    expect(runHealthCheck('return { status = _VERSION, message = "" }', {}).status).toBe('Lua 5.1');
    expect(lua51SyntaxError('goto done ::done::')).toMatch(/'=' expected/);
    expect(lua51SyntaxError('return 7 // 2')).toMatch(/unexpected symbol/);
    expect(lua51SyntaxError('return 1 & 2')).toMatch(/expected/);
    expect(lua51SyntaxError('return 1 | 2')).toMatch(/expected/);
    expect(lua51SyntaxError('return 1 << 2')).toMatch(/unexpected symbol/);
    expect(lua51SyntaxError('local t = {} return #t')).toBeUndefined();
  });
});

describe('Argo CD health of restate.dev/RestateCluster', () => {
  const script = restateClusterHealthLua();

  test('compiles as Lua 5.1 and uses no library function that 5.1 lacks', () => {
    expect(lua51SyntaxError(script)).toBeUndefined();
    // table.unpack, string.pack, utf8, math.type, bit32 and load with env are 5.2+ (the 5.1 VM has none of them)
    expect(script).not.toMatch(/\b(table\.unpack|table\.pack|string\.pack|utf8\.|math\.type|bit32\.|goto)\b/);
  });

  test('is Healthy when Ready is True (reason Provisioned)', () => {
    const health = runHealthCheck(
      script,
      cluster({ status: 'True', reason: 'Provisioned', message: 'Restate Cluster provisioned successfully' }),
    );
    expect(health).toEqual({ status: 'Healthy', message: 'Provisioned: Restate Cluster provisioned successfully' });
  });

  test('is Degraded on FailedReconcile (status Unknown), e.g. a namespace of that name that the cluster does not own', () => {
    const health = runHealthCheck(script, cluster({ status: 'Unknown', reason: 'FailedReconcile', message: 'NameConflict' }));
    expect(health.status).toBe('Degraded');
    expect(health.message).toBe('FailedReconcile: NameConflict');
  });

  test.each([
    ['StatefulSetPodNotReady', 'StatefulSet has 1 ready replicas instead of the expected 3; a pod may not be ready'],
    ['StatefulSetScaling', 'StatefulSet has 2 replicas instead of the expected 3; it may be scaling up or down'],
    ['PersistentVolumeClaimNotBound', 'PersistentVolumeClaim storage-restate-0 is not yet bound to a volume'],
    ['PodIdentityAssociationNotSynced', 'Waiting for the AWS ACK controller to provision the Pod Identity Association with IAM'],
    // 1.7.4 swaps reason and message for a StatefulSet without status (compute.rs:1007-1011)
    ['StatefulSet has no status set; it may have just been created', 'StatefulSetNoStatus'],
  ])('is Progressing while Ready is False with reason %s', (reason, message) => {
    const health = runHealthCheck(script, cluster({ status: 'False', reason, message }));
    expect(health).toEqual({ status: 'Progressing', message: `${reason}: ${message}` });
  });

  test('is Progressing before the operator wrote any status, and with a status without conditions', () => {
    expect(runHealthCheck(script, cluster()).status).toBe('Progressing');
    expect(runHealthCheck(script, { ...cluster(), status: {} }).status).toBe('Progressing');
    expect(runHealthCheck(script, { ...cluster(), status: { conditions: [] } }).status).toBe('Progressing');
  });
});

describe('Argo CD health of a child argoproj.io/Application', () => {
  const script = applicationHealthLua();

  test('compiles as Lua 5.1', () => {
    expect(lua51SyntaxError(script)).toBeUndefined();
  });

  test('is the health Argo CD assessed for the child, and Progressing before it has one', () => {
    const app = (health?: Record<string, string>) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'restate-operator' },
      status: health ? { health } : {},
    });
    expect(runHealthCheck(script, app({ status: 'Healthy' }))).toEqual({ status: 'Healthy', message: '' });
    expect(runHealthCheck(script, app({ status: 'Degraded', message: 'Deployment restate-operator failed' })).status).toBe('Degraded');
    expect(runHealthCheck(script, app({ status: 'Missing' })).status).toBe('Missing');
    expect(runHealthCheck(script, app()).status).toBe('Progressing');
    expect(runHealthCheck(script, { kind: 'Application' }).status).toBe('Progressing');
  });
});
