import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { podHostsFile, type PodDnsProps, podResolvConf, type PodResolvConf } from './pod-dns';

/** One pod's view of the system, as far as the sandbox models it: its DNS files and its mounted folders. */
export interface PodViewProps extends PodDnsProps {
  /** A name for the pod's files (unique in `dir`), e.g. `restate-dev.restate-0`. */
  readonly id: string;
  /** Folder for the pod's resolv.conf and hosts files (kept until the run's folder goes). */
  readonly dir: string;
  /** The pod's IP (its loopback stand-in) and hostname, for its /etc/hosts. */
  readonly ip: string;
  readonly hostname: string;
  /** The pod's own full name, when it has one (`<hostname>.<subdomain>.<ns>.svc.<domain>`). @default - none */
  readonly fqdn?: string;
}

/**
 * A process launcher with a pod's DNS view: each process runs in its own mount namespace (inside the
 * sandbox's) where the pod's /etc/resolv.conf and /etc/hosts are bind-mounted over the sandbox's, so the
 * resolver of that process (glibc or musl getaddrinfo alike) sees what it would in that pod, and nothing else
 * does. Needs the sandbox (root in its user namespace; `unshare` and `mount` from util-linux).
 */
export class PodView {
  public readonly resolv: PodResolvConf;
  public readonly resolvFile: string;
  public readonly hostsFile: string;

  constructor(public readonly props: PodViewProps) {
    this.resolv = podResolvConf(props);
    mkdirSync(props.dir, { recursive: true });
    this.resolvFile = join(props.dir, `${props.id}.resolv.conf`);
    this.hostsFile = join(props.dir, `${props.id}.hosts`);
    writeFileSync(this.resolvFile, this.resolv.text);
    writeFileSync(this.hostsFile, podHostsFile(props));
  }

  /**
   * The command line that runs `file args…` with this view (as `uid`, when given). The program replaces the wrapper (unshare and sh
   * both exec), so the PID of the spawned process is the program's own: signals and kills reach it directly.
   */
  command(file: string, args: readonly string[] = [], uid?: number): { readonly file: string; readonly args: readonly string[] } {
    const script = 'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"';
    // The pod's uid, when given, is taken after the mounts (they need root): setpriv execs the program in turn.
    const asUid = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
    return {
      file: 'unshare',
      args: [
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        script,
        'pod-view',
        this.resolvFile,
        this.hostsFile,
        ...asUid,
        file,
        ...args,
      ],
    };
  }
}
