/** The podlet's pure parts (./pod-container.ts, ./pod-names.ts, ./pod-probe.ts, ./pod-volumes.ts), without a control plane. */
import { containerArgv, containerEnv, expand, mapProgram, pathMapper, runsImage } from '../../lib/control-plane/pod-container';
import { hostsFile } from '../../lib/control-plane/pod-names';
import { probeSpec } from '../../lib/control-plane/pod-probe';
import { podletVolume } from '../../lib/control-plane/pod-volumes';

const programs = { restateServer: '/npm/restate-server', restatectl: '/npm/restatectl' };

describe('the container the podlet starts', () => {
  test('env: fieldRefs from the pod, $(NAME) from the variables before it, $$ a literal $, an unknown reference kept', () => {
    const pod = { metadata: { name: 'restate-1', namespace: 'ns', labels: { zone: 'a' } }, spec: { nodeName: 'n' } };
    const container = {
      env: [
        { name: 'RESTATE_ADVERTISED_ADDRESS', value: 'http://$(POD_NAME).restate-cluster:5122' },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NODE', value: '$(POD_NAME)/$(MISSING)/$$(POD_NAME)' },
        { name: 'ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['zone']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ],
    };
    expect(Object.fromEntries(containerEnv(pod, container, '10.254.1.2'))).toEqual({
      RESTATE_ADVERTISED_ADDRESS: 'http://$(POD_NAME).restate-cluster:5122',
      POD_NAME: 'restate-1',
      NODE: 'restate-1/$(MISSING)/$(POD_NAME)',
      ZONE: 'a',
      IP: '10.254.1.2',
    });
    expect(() => containerEnv(pod, { env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, '')).toThrow(
      'env K: the podlet serves only fieldRef in valueFrom',
    );
    expect(expand('a$(X', new Map())).toBe('a$(X');
  });

  test("the command: the image's entrypoint or the command's first word mapped to this machine's program", () => {
    expect(containerArgv({ args: ['--node-name', '$(N)'] }, new Map([['N', 'restate-0']]), programs)).toEqual([
      '/npm/restate-server',
      '--node-name',
      'restate-0',
    ]);
    expect(containerArgv({ command: ['/bin/sh', '-c', 'x'] }, new Map(), programs)).toEqual(['/bin/sh', '-c', 'x']);
    expect(mapProgram('/usr/local/bin/restatectl', programs)).toBe('/npm/restatectl');
    expect(() => mapProgram('/usr/bin/python3', programs)).toThrow('does not map "/usr/bin/python3"');
    expect([
      runsImage('restatedev/restate:1.4.4'),
      runsImage('docker.io/restatedev/restate:1.7'),
      runsImage('ghcr.io/restatedev/restate-operator:1.7.4'),
    ]).toEqual([true, true, false]);
  });

  test('mount paths map to the pod folders, the longest mount first, only whole path components', () => {
    const map = pathMapper(
      new Map([
        ['/config', '/p/config'],
        ['/config/sub/', '/p/sub'],
        ['/restate-data', '/v/1'],
      ]),
    );
    expect(['/config/config.toml', '/config/sub/x', '/configs/x', '/restate-data', 'http://x'].map(map)).toEqual([
      '/p/config/config.toml',
      '/p/sub/x',
      '/configs/x',
      '/v/1',
      'http://x',
    ]);
  });

  test("the readiness probe: the operator's httpGet with the kubelet's defaults, a named port resolved", () => {
    const container = {
      name: 'restate',
      ports: [{ name: 'admin', containerPort: 9070 }],
      readinessProbe: { httpGet: { port: 'admin', path: '/health' } },
    };
    expect(probeSpec(container)).toEqual({
      port: 9070,
      path: '/health',
      initialDelayMs: 0,
      periodMs: 10_000,
      timeoutMs: 1000,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(probeSpec({ name: 'c' })).toBeUndefined();
    expect(() => probeSpec({ name: 'c', readinessProbe: { exec: { command: ['true'] } } })).toThrow('httpGet only');
  });
});

describe('names and volumes', () => {
  const services = [
    { metadata: { namespace: 'a', name: 'restate-cluster' }, spec: { clusterIP: 'None' } },
    { metadata: { namespace: 'a', name: 'restate' }, spec: { clusterIP: '10.0.0.9' } },
  ];
  const slice = (service: string, endpoints: object[]) => ({
    metadata: { namespace: 'a', name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints,
  });
  const slices = [
    slice('restate-cluster', [
      { addresses: ['10.254.1.1'], hostname: 'restate-0', conditions: { ready: true } },
      { addresses: ['10.254.1.2'], hostname: 'restate-1', conditions: { ready: false } },
    ]),
    slice('restate', [{ addresses: ['10.254.1.1'], conditions: { ready: true } }]),
  ];

  test("hosts: a headless Service's ready endpoints by pod and Service name; short names only in the pod's namespace; no ClusterIP", () => {
    const own = hostsFile('a', services, slices);
    expect(own).toContain(
      '10.254.1.1\trestate-0.restate-cluster.a restate-0.restate-cluster.a.svc restate-0.restate-cluster.a.svc.cluster.local restate-0.restate-cluster\n',
    );
    expect(own).toContain('10.254.1.1\trestate-cluster restate-cluster.a restate-cluster.a.svc restate-cluster.a.svc.cluster.local\n');
    expect(own).not.toContain('10.254.1.2');
    expect(own).not.toMatch(/\brestate\.a\b/);
    const other = hostsFile('b', services, slices);
    expect(other).toContain('10.254.1.1\trestate-cluster.a ');
    expect(other).not.toMatch(/ restate-cluster\n|\trestate-cluster /);
  });

  test('a volume per claim, pre-bound to it by uid, Retain, its folder named short', () => {
    const claim = {
      metadata: { namespace: 'a', name: 'storage-restate-0', uid: '0123456789abcdef' },
      spec: {
        storageClassName: 'vultr-block-storage',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '42949672960' } },
      },
    };
    expect(podletVolume(claim, '/tmp/p/v').spec).toEqual({
      capacity: { storage: '42949672960' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'vultr-block-storage',
      persistentVolumeReclaimPolicy: 'Retain',
      volumeMode: 'Filesystem',
      hostPath: { path: '/tmp/p/v/01234567', type: 'DirectoryOrCreate' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'a', name: 'storage-restate-0', uid: '0123456789abcdef' },
    });
  });
});
