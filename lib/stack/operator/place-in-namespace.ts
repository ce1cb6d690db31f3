import { type ApiObject, JsonPatch } from 'cdk8s';
import { isClusterScoped } from './scope';

/**
 * Gives a rendered object the namespace it must be applied in. `helm template` leaves `metadata.namespace`
 * to `kubectl apply -n`, and the stack's files are applied without `-n`: namespaced objects without one get
 * `namespace`. Cluster-scoped objects must carry none, so one set there is removed. A namespace the chart
 * chose itself is kept.
 */
export function placeInNamespace(object: ApiObject, namespace: string): void {
  if (isClusterScoped(object.kind)) {
    if (object.metadata.namespace !== undefined) object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  } else if (object.metadata.namespace === undefined) {
    object.addJsonPatch(JsonPatch.add('/metadata/namespace', namespace));
  }
}
