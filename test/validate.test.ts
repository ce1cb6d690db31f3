import { forbidUnknownFields } from './support/restate-cluster-schema';
import { expectValidManifests, validateManifest, validateManifests } from './support/validate';

// Deep copies with one change, so every bad object differs from a good one in exactly one place.
function withChange<T>(object: T, change: (copy: any) => void): T {
  const copy = structuredClone(object);
  change(copy);
  return copy;
}

const restateCluster = {
  apiVersion: 'restate.dev/v1',
  kind: 'RestateCluster',
  metadata: { name: 'restate-dev', labels: { 'app.kubernetes.io/managed-by': 'restate-stack' } },
  spec: {
    compute: { image: 'restatedev/restate:1.4', replicas: 3 },
    storage: { storageRequestBytes: 42949672960, storageClassName: 'gp3' },
    config: 'roles = ["worker"]\n',
    security: { networkPeers: { metrics: [{ podSelector: { matchLabels: { app: 'x' } } }] } },
  },
};

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'restate-operator', namespace: 'restate-operator' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'op' } },
    template: { metadata: { labels: { app: 'op' } }, spec: { containers: [{ name: 'op', image: 'op:1' }] } },
  },
};

const application = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'restate-operator', namespace: 'argocd' },
  spec: {
    project: 'default',
    source: { repoURL: 'ghcr.io/restatedev', chart: 'restate-operator-helm', targetRevision: '1.7.4' },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'restate-operator' },
    syncPolicy: { syncOptions: ['CreateNamespace=true'] },
  },
};

const helmRelease = {
  apiVersion: 'helm.toolkit.fluxcd.io/v2',
  kind: 'HelmRelease',
  metadata: { name: 'restate-operator', namespace: 'flux-system' },
  spec: {
    interval: '1h',
    chartRef: { kind: 'OCIRepository', name: 'restate-operator' },
    install: { crds: 'CreateReplace' },
  },
};

const ociRepository = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'OCIRepository',
  metadata: { name: 'restate-operator', namespace: 'flux-system' },
  spec: { interval: '1h', url: 'oci://ghcr.io/restatedev/restate-operator-helm', ref: { tag: '1.7.4' } },
};

describe('validateManifest', () => {
  test('accepts well-formed objects of every family it knows', () => {
    // GIVEN a RestateCluster, a Deployment, an Argo CD Application and two Flux objects, all well-formed
    const objects = [restateCluster, deployment, application, helmRelease, ociRepository];
    // WHEN validated THEN nothing is reported
    expectValidManifests(objects);
  });

  describe('RestateCluster (restate.dev/v1, against the 1.7.4 CRD schema)', () => {
    test('rejects a storage size written as a quantity string: the CRD wants an integer byte count', () => {
      // GIVEN
      const bad = withChange(restateCluster, (c) => (c.spec.storage.storageRequestBytes = '40Gi'));
      // WHEN
      const errors = validateManifest(bad);
      // THEN
      expect(errors).toEqual(['/spec/storage/storageRequestBytes: must be integer']);
    });

    test('rejects a misspelt spec key that the API server would silently drop', () => {
      const bad = withChange(restateCluster, (c) => {
        c.spec.compute.replica = c.spec.compute.replicas;
        delete c.spec.compute.replicas;
      });
      expect(validateManifest(bad)).toEqual(['/spec/compute/replica: unknown field']);
    });

    test('rejects an unknown top-level spec key, such as a field only later operator versions know', () => {
      const bad = withChange(restateCluster, (c) => (c.spec.cluster = { autoProvision: true }));
      expect(validateManifest(bad)).toEqual(['/spec/cluster: unknown field']);
    });

    test('validates against the CRD of the operator version it is told: 2.8.1 knows spec.cluster.autoProvision and topology spread', () => {
      // GIVEN a RestateCluster with fields of the 2.8.1 CRD
      const next = withChange(restateCluster, (c) => {
        c.spec.cluster = { autoProvision: true };
        c.spec.compute.topologySpreadConstraints = [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' },
        ];
      });
      // THEN the 2.8.1 schema accepts it, the 1.7.4 one does not, and the 2.8.1 schema still catches a typo
      expect(validateManifest(next, { operatorVersion: '2.8.1' })).toEqual([]);
      expect(validateManifest(next, { operatorVersion: '1.7.4' })).toEqual([
        '/spec/cluster: unknown field',
        '/spec/compute/topologySpreadConstraints: unknown field',
      ]);
      const typo = withChange(next, (c) => (c.spec.cluster = { autoProvison: true }));
      expect(validateManifest(typo, { operatorVersion: '2.8.1' })).toEqual(['/spec/cluster/autoProvison: unknown field']);
    });

    test('rejects a namespace: the RestateCluster is cluster-scoped', () => {
      const bad = withChange(restateCluster, (c) => (c.metadata.namespace = 'restate'));
      expect(validateManifest(bad)).toEqual(['/metadata/namespace: must not be set, RestateCluster is cluster-scoped']);
    });

    test('rejects a missing required field and metadata of the wrong type', () => {
      const bad = withChange(restateCluster, (c) => {
        delete c.spec.compute.image;
        c.metadata.labels = { replicas: 3 };
      });
      expect(validateManifest(bad)).toEqual([
        "/spec/compute: must have required property 'image'",
        '/metadata/labels/replicas: must be string',
      ]);
    });

    test('leaves open maps and preserve-unknown-fields objects open when forbidding unknown fields', () => {
      // GIVEN a schema with a closed object, a map and an object that keeps unknown fields
      const schema = {
        type: 'object',
        properties: {
          closed: { type: 'object', properties: { a: { type: 'string' } } },
          map: { type: 'object', additionalProperties: { type: 'object', properties: { b: { type: 'string' } } } },
          open: { type: 'object', properties: { c: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true },
        },
      };
      // WHEN
      const strict = forbidUnknownFields(schema) as any;
      // THEN
      expect(strict.additionalProperties).toBe(false);
      expect(strict.properties.closed.additionalProperties).toBe(false);
      expect(strict.properties.map.additionalProperties.additionalProperties).toBe(false);
      expect(strict.properties.open).not.toHaveProperty('additionalProperties');
      expect(schema).not.toHaveProperty('additionalProperties');
    });
  });

  describe('built-in kinds (kubernetes-models)', () => {
    test('rejects a Deployment whose replica count is a string', () => {
      const bad = withChange(deployment, (d) => (d.spec.replicas = '3'));
      expect(validateManifest(bad)).toEqual(['/spec/replicas: must be integer']);
    });

    test('rejects a namespaced object without a namespace', () => {
      const bad = withChange(deployment, (d) => delete d.metadata.namespace);
      expect(validateManifest(bad)).toEqual([
        "/metadata/namespace: is missing; a namespaced Deployment would land in the namespace of kubectl's context",
      ]);
    });

    test('rejects a namespace on a cluster-scoped kind, and accepts the kind without one', () => {
      const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' }, rules: [] };
      expect(validateManifest(role)).toEqual([]);
      expect(validateManifest(withChange(role, (r) => (r.metadata.namespace = 'x')))).toEqual([
        '/metadata/namespace: must not be set, ClusterRole is cluster-scoped',
      ]);
    });
  });

  describe('Argo CD and Flux kinds', () => {
    test('rejects an Application whose sync options are a string instead of a list', () => {
      const bad = withChange(application, (a) => (a.spec.syncPolicy.syncOptions = 'CreateNamespace=true'));
      expect(validateManifest(bad)).toEqual(['/spec/syncPolicy/syncOptions: must be array']);
    });

    test('rejects a HelmRelease with a CRD policy Flux does not know, naming the allowed ones', () => {
      const bad = withChange(helmRelease, (h) => (h.spec.install.crds = 'Replace'));
      expect(validateManifest(bad)).toEqual([
        '/spec/install/crds: must be equal to one of the allowed values (Skip, Create, CreateReplace)',
      ]);
    });

    test('rejects a misspelt Application field, which the API server would drop silently', () => {
      // GIVEN an Application whose source says repoUrl (the TypeScript name) instead of repoURL
      const bad = withChange(application, (a) => {
        a.spec.source.repoUrl = a.spec.source.repoURL;
        delete a.spec.source.repoURL;
      });
      // WHEN validated against the Argo CD CRD THEN the unknown and the missing field are named
      expect(validateManifest(bad)).toEqual(["/spec/source: must have required property 'repoURL'", '/spec/source/repoUrl: unknown field']);
    });

    test('rejects a Kustomization with an unknown field and a dependsOn entry without a name', () => {
      const kustomization = {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'restate-dev-cluster', namespace: 'flux-system' },
        spec: {
          interval: '10m',
          prune: true,
          sourceRef: { kind: 'GitRepository', name: 'flux-system' },
          path: './dist',
          dependsOn: [{ name: 'x' }],
        },
      };
      expect(validateManifest(kustomization)).toEqual([]);
      const bad = withChange(kustomization, (k) => {
        k.spec.dependsOn = [{ namespace: 'flux-system' }];
        k.spec.healthCheck = [];
      });
      expect(validateManifest(bad)).toEqual(['/spec/healthCheck: unknown field', "/spec/dependsOn/0: must have required property 'name'"]);
    });

    test('rejects an OCIRepository whose interval is a number', () => {
      const bad = withChange(ociRepository, (o) => (o.spec.interval = 3600));
      expect(validateManifest(bad)).toEqual(['/spec/interval: must be string']);
    });
  });

  describe('anything else', () => {
    test('rejects kinds it has no schema for, so nothing passes unvalidated', () => {
      const unknown = [
        { apiVersion: 'restate.dev/v1', kind: 'RestateDeployment', metadata: { name: 'x', namespace: 'y' } },
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } },
        { apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x', namespace: 'y' } },
      ];
      expect(unknown.map((object) => validateManifest(object))).toEqual([
        ['no schema known for restate.dev/v1 RestateDeployment; add a validator to test/support/validate.ts'],
        ['no schema known for example.com/v1 Widget; add a validator to test/support/validate.ts'],
        ['no schema known for apps/v1 Deploymnet; add a validator to test/support/validate.ts'],
      ]);
    });

    test('names the object in front of each error when validating many', () => {
      const bad = withChange(deployment, (d) => (d.spec.replicas = '3'));
      expect(validateManifests([restateCluster, bad])).toEqual([
        'Deployment restate-operator/restate-operator: /spec/replicas: must be integer',
      ]);
    });
  });
});
