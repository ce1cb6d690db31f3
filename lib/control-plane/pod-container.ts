/**
 * What the podlet (./podlet.ts) starts for one container: the image's command mapped to a program on this machine,
 * the environment the kubelet computes, and the volume paths mapped to the pod's folders.
 *
 * Derived from kubernetes v1.37.2: `pkg/kubelet/kubelet_pods.go` (makeEnvironmentVariables: `env` in order, each
 * `$(NAME)` expanded from the variables before it, `$$` for a literal `$`, an unknown reference kept as written,
 * third_party/forked/golang/expansion; podFieldSelectorRuntimeValue for the downward API's fieldRefs) and
 * `pkg/kubelet/kuberuntime/kuberuntime_container.go` (the container's command is `command` else the image's
 * entrypoint, its args `args` else the image's cmd; both expanded the same way).
 */
import type { Obj } from './api-client';

/** The programs the images' commands are mapped to, as verify maps them (lib/verify/binaries.ts). */
export interface Programs {
  readonly restateServer: string;
  readonly restatectl: string;
}

/** Whether the podlet runs this image: Restate's own, `restatedev/restate[:tag]` (npm's binaries whatever the tag). */
export function runsImage(image: string): boolean {
  return /^(docker\.io\/)?restatedev\/restate(:[\w.-]+)?(@sha256:[0-9a-f]+)?$/.test(image);
}

/** The image's program for a command's first word: `restate-server` (its entrypoint), `restatectl`, or /bin/sh. */
export function mapProgram(word: string, programs: Programs): string {
  const base = word.split('/').pop()!;
  if (base === 'restate-server') return programs.restateServer;
  if (base === 'restatectl') return programs.restatectl;
  if (base === 'sh' || base === 'bash') return '/bin/sh';
  throw new Error(`the podlet does not map ${JSON.stringify(word)} of the image to a program here (restate-server, restatectl, sh)`);
}

/** `$(NAME)` expanded from `vars` (expansion.go: `$$` is `$`, an unknown or unterminated reference stays as written). */
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || i + 1 >= text.length) {
      out += text[i];
      continue;
    }
    if (text[i + 1] === '$') {
      out += '$';
      i++;
    } else if (text[i + 1] === '(') {
      const end = text.indexOf(')', i + 2);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, end);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = end;
    } else out += '$';
  }
  return out;
}

/** A downward-API fieldRef's value (podFieldSelectorRuntimeValue and the API's ConvertDownwardAPIFieldLabel). */
export function fieldValue(pod: Obj, fieldPath: string, podIP: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (label) return pod.metadata[label[1]]?.[label[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return podIP;
    default:
      throw new Error(`the podlet does not serve fieldRef ${fieldPath}`);
  }
}

/** The container's environment, in `env` order; a valueFrom other than fieldRef is refused (CreateContainerConfigError). */
export function containerEnv(pod: Obj, container: Obj, podIP: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of container.env ?? []) {
    if (entry.valueFrom) {
      if (!entry.valueFrom.fieldRef) throw new Error(`env ${entry.name}: the podlet serves only fieldRef in valueFrom`);
      vars.set(entry.name, fieldValue(pod, entry.valueFrom.fieldRef.fieldPath, podIP));
    } else vars.set(entry.name, expand(entry.value ?? '', vars));
  }
  return vars;
}

/** The command line: `command` else the image's entrypoint (`restate-server`), then `args`; expanded from `vars`. */
export function containerArgv(container: Obj, vars: ReadonlyMap<string, string>, programs: Programs): string[] {
  const words = [...(container.command ?? ['restate-server']), ...(container.args ?? [])].map((w: string) => expand(w, vars));
  return [mapProgram(words[0], programs), ...words.slice(1)];
}

/**
 * Replaces each mount path at the start of a value by its folder on this machine (longest first), as verify maps a
 * Job's mounts (lib/verify/job-run.ts): the processes share this machine's root file system.
 */
export function pathMapper(mounts: ReadonlyMap<string, string>): (value: string) => string {
  const sorted = [...mounts]
    .map(([path, local]): [string, string] => [path.replace(/\/$/, ''), local])
    .sort((a, b) => b[0].length - a[0].length);
  return (value) => {
    for (const [path, local] of sorted) if (value === path || value.startsWith(`${path}/`)) return local + value.slice(path.length);
    return value;
  };
}
