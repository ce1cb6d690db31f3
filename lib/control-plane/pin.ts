/**
 * What lib/control-plane/go.mod pins: the Kubernetes and etcd versions the control plane is built from, and the
 * `replace` lines that stand in for Kubernetes' staging folders. Pure: takes the files' text, returns values.
 */
import { ControlPlaneError } from './errors';

/** The pinned versions and the replace lines of our go.mod. */
export interface Pin {
  /** The `go` directive: the oldest Go that may build the module, e.g. `1.26.0`. */
  readonly go: string;
  /** `k8s.io/kubernetes`'s version, e.g. `v1.37.2`. */
  readonly kubernetes: string;
  /** `go.etcd.io/etcd/server/v3`'s version, e.g. `v3.7.0`. */
  readonly etcd: string;
  /** Every `replace old => new version` line: old module path -> `new version`. */
  readonly replaces: ReadonlyMap<string, string>;
}

/** The `require` and `replace` entries of a go.mod (its blocks and single lines), without comments. */
function entries(goMod: string, directive: 'require' | 'replace'): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of goMod.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line !== '') out.push(line);
    } else if (line === `${directive} (`) {
      inBlock = true;
    } else if (line.startsWith(`${directive} `)) {
      out.push(line.slice(directive.length + 1).trim());
    }
  }
  return out;
}

function required(goMod: string, module: string): string {
  for (const entry of entries(goMod, 'require')) {
    const [path, version] = entry.split(/\s+/);
    if (path === module && version) return version;
  }
  throw new ControlPlaneError(`lib/control-plane/go.mod does not require ${module}`);
}

/** Reads our go.mod's pins. */
export function readPin(goMod: string): Pin {
  const go = /^go (\d+\.\d+(?:\.\d+)?)\s*$/m.exec(goMod)?.[1];
  if (!go) throw new ControlPlaneError('lib/control-plane/go.mod has no `go` directive');
  const replaces = new Map<string, string>();
  for (const entry of entries(goMod, 'replace')) {
    const [from, to] = entry.split('=>').map((side) => side.trim());
    if (from && to) replaces.set(from.split(/\s+/)[0], to);
  }
  return { go, kubernetes: required(goMod, 'k8s.io/kubernetes'), etcd: required(goMod, 'go.etcd.io/etcd/server/v3'), replaces };
}

/** The modules that k8s.io/kubernetes' own go.mod replaces with a folder of its repository (`./staging/src/k8s.io/<m>`). */
export function stagingModules(kubernetesGoMod: string): string[] {
  return entries(kubernetesGoMod, 'replace')
    .filter((entry) => /=>\s*\.\/staging\//.test(entry))
    .map((entry) => entry.split('=>')[0].trim().split(/\s+/)[0])
    .sort();
}

/** `v1.37.2` -> `v0.37.2`: the version Kubernetes publishes its staging modules under for that release. */
export function stagingVersion(kubernetes: string): string {
  const match = /^v1\.(\d+\.\d+)$/.exec(kubernetes);
  if (!match) throw new ControlPlaneError(`k8s.io/kubernetes ${kubernetes} is not a release version v1.MINOR.PATCH`);
  return `v0.${match[1]}`;
}

/**
 * The staging modules our go.mod does not replace with their published version of this release, one
 * `module => module version` line each (empty when the pin is complete). Without such a line Go would look for
 * `v0.0.0`, which `k8s.io/kubernetes` requires and nobody publishes.
 */
export function missingReplaces(pin: Pin, kubernetesGoMod: string): string[] {
  const want = stagingVersion(pin.kubernetes);
  return stagingModules(kubernetesGoMod)
    .filter((module) => pin.replaces.get(module) !== `${module} ${want}`)
    .map((module) => `${module} => ${module} ${want}`);
}

/** `1.26.8` >= `1.26.0`? Go versions as the `go` directive and `go version` write them (`go1.26.8`, `1.26`). */
export function goAtLeast(have: string, want: string): boolean {
  const parts = (v: string) => (/^(?:go)?(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? '0').split('.').map(Number);
  const [a, b] = [parts(have), parts(want)];
  for (let i = 0; i < 3; i++) {
    const [x, y] = [a[i] ?? 0, b[i] ?? 0];
    if (x !== y) return x > y;
  }
  return true;
}
