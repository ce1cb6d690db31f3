/**
 * Stand-in for a volume provisioner (a CSI driver's external-provisioner): for each claim that waits for a volume it
 * creates one PersistentVolume that names the claim in its `claimRef` (namespace, name and uid), of the claim's class,
 * size, access modes and volume mode; the real PV binder controller in kube-controller-manager then binds the two
 * (claim `Bound` with `spec.volumeName`, volume `Bound`), as on a cluster.
 *
 * Derived from kubernetes v1.37.2 (the pin of ./go.mod), in the Go module cache under ~/go/pkg/mod/k8s.io/:
 * `kubernetes@v1.37.2/pkg/controller/volume/persistentvolume/pv_controller.go` — `syncVolume` (:563-777: a volume
 * whose claimRef carries the claim's uid puts the claim on the claim queue at once, :703-716; with no uid it is only
 * marked Available, :588-597, and the claim waits for the periodic resync, 15 s by default,
 * config/v1alpha1/defaults.go:38-39) and `syncUnboundClaim` (:332-407: the best match is bound); and
 * `component-helpers@v0.37.2/storage/volume/pv_helpers.go` — `FindMatchingVolume` (:186-327: the same class name, a volume
 * pre-bound to this claim, access modes and size that fit, no node affinity to check) and `IsDelayBindingMode` (:96-115:
 * a class with no StorageClass object binds at once). The volume is named `pvc-<claim uid>`, the shape of a
 * dynamically provisioned volume's name.
 *
 * Left unproven: a StorageClass's own rules (its `volumeBindingMode`: a `WaitForFirstConsumer` class, as kind's
 * `standard` or a typical `gp3`, binds only once the scheduler picked a node for the pod; `allowVolumeExpansion`),
 * the provisioning protocol itself (the claim's `volume.kubernetes.io/storage-provisioner` annotation is not waited
 * for: no StorageClass names this stand-in), the reclaim of a released volume (`Retain`: a deleted claim leaves its
 * volume `Released`, where a CSI class's `Delete` would remove it), and everything below the API (nothing is attached
 * or mounted; `hostPath` names a folder that is never made).
 */
import type { ControlPlane } from './harness';
import type { Obj } from './api-client';

/** The provisioner name written on each volume it makes. */
export const VOLUME_STAND_IN = 'volume-stand-in.restate-stack.test';

/**
 * The PersistentVolume the stand-in makes for `claim`; with `folder`, a folder of this machine that the podlet
 * (./podlet.ts) mounts as the claim's volume (made when missing), else a path nothing reads.
 */
export function volumeFor(claim: Obj, folder?: string): Obj {
  const { namespace, name, uid } = claim.metadata;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${uid}`, annotations: { 'pv.kubernetes.io/provisioned-by': VOLUME_STAND_IN } },
    spec: {
      capacity: { storage: claim.spec.resources?.requests?.storage ?? '1Gi' },
      accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
      volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      ...(claim.spec.storageClassName ? { storageClassName: claim.spec.storageClassName } : {}),
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
      hostPath: folder ? { path: folder, type: 'DirectoryOrCreate' } : { path: `/restate-stack-volume-stand-in/${uid}`, type: '' },
    },
  };
}

/**
 * One pass: a volume for every claim (for which `claims` holds, default all) that has none bound and none made for
 * it yet. Resolves with the names of the volumes made.
 */
export async function volumePass(cp: ControlPlane, options: { readonly claims?: (claim: Obj) => boolean } = {}): Promise<string[]> {
  const listed = JSON.parse(
    (await cp.kubectl(['get', 'persistentvolumeclaims,persistentvolumes', '--all-namespaces', '-o', 'json'])).stdout,
  );
  const items = listed.items as Obj[];
  const volumes = new Set(items.filter((o) => o.kind === 'PersistentVolume').map((v) => v.metadata.name as string));
  const wanting = items.filter(
    (o) =>
      o.kind === 'PersistentVolumeClaim' &&
      !o.metadata.deletionTimestamp &&
      !o.spec.volumeName &&
      !volumes.has(`pvc-${o.metadata.uid}`) &&
      (options.claims?.(o) ?? true),
  );
  if (wanting.length === 0) return [];
  const made = wanting.map((claim) => volumeFor(claim));
  await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: made }) });
  return made.map((v) => v.metadata.name);
}
