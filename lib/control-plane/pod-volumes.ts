/**
 * The podlet's volumes: the volume stand-in's PersistentVolume (./volume-stand-in.ts) for each claim that has none,
 * with a folder on this machine (`hostPath`), pre-bound to its claim (`spec.claimRef` with the claim's uid). The real PV controller of
 * kube-controller-manager binds the claim to it (kubernetes v1.37.2 `pkg/controller/volume/persistentvolume/
 * pv_controller.go`: syncUnboundClaim finds the volume whose claimRef names the claim, then bind()), and the real
 * scheduler's VolumeBinding plugin lets a pod onto a Node once its claims are Bound.
 *
 * A claim that is deleted leaves its volume Released (reclaim policy Retain); the stand-in then deletes the volume
 * and its folder: a deleted claim is a lost volume, as with the `Delete` policy of a cloud StorageClass. Left
 * unproven: the StorageClass (none exists; the class name is copied onto the volume), dynamic provisioning's
 * WaitForFirstConsumer and topology, capacity, resizing, access modes beyond one node, and real disks.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient, Obj } from './api-client';
import { volumeFor } from './volume-stand-in';

/** The volume made for `claim` (./volume-stand-in.ts), its folder under `dir`, labelled as the podlet's. */
export function podletVolume(claim: Obj, dir: string): Obj {
  // Short: the server keeps unix sockets under its base dir, whose paths are limited to 107 bytes.
  const volume = volumeFor(claim, join(dir, claim.metadata.uid.slice(0, 8)));
  return { ...volume, metadata: { ...volume.metadata, labels: { 'podlet.restate-stack.test/volume': 'true' } } };
}

/** One pass: a volume for every claim without one, and every Released volume of ours deleted with its folder. */
export async function volumesPass(api: ApiClient, dir: string): Promise<void> {
  const claims: Obj[] = (await api.get('/api/v1/persistentvolumeclaims')).items;
  const volumes: Obj[] = (await api.get('/api/v1/persistentvolumes?labelSelector=podlet.restate-stack.test%2Fvolume%3Dtrue')).items;
  const claimed = new Set(volumes.map((v) => v.spec.claimRef?.uid));
  for (const claim of claims) {
    if (claim.metadata.deletionTimestamp || claim.spec.volumeName || claimed.has(claim.metadata.uid)) continue;
    const volume = podletVolume(claim, dir);
    mkdirSync(volume.spec.hostPath.path, { recursive: true, mode: 0o711 });
    const answer = await api.call('POST', '/api/v1/persistentvolumes', volume);
    if (answer.status !== 201 && answer.status !== 409)
      throw new Error(`creating ${volume.metadata.name} for claim ${claim.metadata.namespace}/${claim.metadata.name}: ${answer.status}`);
  }
  const live = new Set(claims.map((c) => c.metadata.uid));
  for (const volume of volumes) {
    if (volume.status?.phase !== 'Released' || live.has(volume.spec.claimRef?.uid)) continue;
    await api.call('DELETE', `/api/v1/persistentvolumes/${volume.metadata.name}`);
    rmSync(volume.spec.hostPath.path, { recursive: true, force: true });
  }
}
