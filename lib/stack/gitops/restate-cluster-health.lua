-- Argo CD health of a restate.dev/v1 RestateCluster, from the status restate-operator 1.7.4 writes.
-- Generated into argocd-cm by restate-stack (lib/stack/gitops/restate-cluster-health.lua); Lua 5.1 only.
--
-- The operator writes exactly one condition, Ready (src/controllers/restatecluster/controller.rs:215-288 at
-- v1.7.4): status "True", reason "Provisioned" once a reconcile succeeded (the StatefulSet has all replicas
-- ready); status "False" with the NotReady reason while it waits (StatefulSetScaling, StatefulSetPodNotReady,
-- PersistentVolumeClaimNotBound, the PodIdentityAssociation reasons; for a StatefulSet without status the
-- reason holds a sentence and the message "StatefulSetNoStatus", compute.rs:1007-1026); status "Unknown" with
-- reason "FailedReconcile" when the reconcile failed (NameConflict, an API error).
local hs = {}
hs.status = "Progressing"
hs.message = "Waiting for the operator to report the RestateCluster's status"
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
for _, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    local reason = condition.reason or ""
    local message = condition.message or ""
    if condition.status == "True" then
      hs.status = "Healthy"
    elseif reason == "FailedReconcile" then
      hs.status = "Degraded"
    else
      hs.status = "Progressing"
    end
    hs.message = reason .. ": " .. message
    return hs
  end
end
return hs
