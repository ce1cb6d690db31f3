import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The argocd-cm key of a resource's custom health check: `resource.customizations.health.<group>_<kind>`. */
export function healthCustomizationKey(group: string, kind: string): string {
  return `resource.customizations.health.${group}_${kind}`;
}

/** The Lua health check of restate.dev/RestateCluster (Argo CD runs Lua 5.1, gopher-lua). */
export function restateClusterHealthLua(): string {
  return readFileSync(join(__dirname, 'restate-cluster-health.lua'), 'utf8');
}

/** The Lua health check of argoproj.io/Application (the operator's child Application). */
export function applicationHealthLua(): string {
  return readFileSync(join(__dirname, 'application-health.lua'), 'utf8');
}
