/**
 * The keys and certificates of one test control plane, made fresh for each run: a CA, one serving certificate for
 * every component on loopback, client certificates for the admin and the two controllers, and the service-account
 * signing key. Keys come from Node's crypto (EC P-256: fast to make, accepted by every component); certificates
 * are signed by the `openssl` command line, version 3 (Node can read X.509 certificates but not make them).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlaneError } from './errors';

/** Paths of the files `makePki` wrote. */
export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  /** For kube-apiserver, kube-controller-manager and kube-scheduler: 127.0.0.1, localhost and the in-cluster names. */
  readonly servingCert: string;
  readonly servingKey: string;
  /** For the stand-in kubelet's node endpoint: KUBELET_ADDRESS. */
  readonly kubeletServingCert: string;
  readonly kubeletServingKey: string;
  /** Service-account token signing key (private) and its public half, for the API server to verify tokens. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
  readonly clients: Readonly<Record<ClientName, { readonly cert: string; readonly key: string }>>;
}

/** Who connects to the API server with a client certificate, and as which user and groups. */
const CLIENTS = {
  admin: { user: 'restate-stack-admin', groups: ['system:masters'] },
  'kube-controller-manager': { user: 'system:kube-controller-manager', groups: [] },
  'kube-scheduler': { user: 'system:kube-scheduler', groups: [] },
  // The API server toward kubelets (`--kubelet-client-certificate`), named as kubeadm names it.
  'kube-apiserver-kubelet-client': { user: 'kube-apiserver-kubelet-client', groups: [] },
} as const;
export type ClientName = keyof typeof CLIENTS;

/**
 * The stand-in kubelet's node address: private, on the loopback interface of the control plane's network namespace
 * (./network-namespace.ts), so it exists nowhere else. Not 127.0.0.1: the API server's node proxy refuses any address
 * that is not global unicast (kubernetes v1.37.2 `pkg/registry/core/node/strategy.go` isProxyableHostname).
 */
export const KUBELET_ADDRESS = '10.254.0.1';

/** The Service network of the test cluster; its first address is the `kubernetes` Service, in the serving certificate. */
export const SERVICE_CIDR = '10.0.0.0/24';
const SERVING_NAMES = [
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'IP:127.0.0.1',
  'IP:10.0.0.1',
];

function openssl(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('openssl', [...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'ENOENT')
        reject(new ControlPlaneError('openssl is not installed (it signs the test certificates): on Debian, apt-get install openssl'));
      else reject(new ControlPlaneError(`openssl ${args[0]} failed: ${(stderr || e.message).trim().split('\n')[0]}`));
    }),
  );
}

function newKey(file: string): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return file;
}

/** X.509 subject: `/O=group/.../CN=name`, with `/` and `\` escaped as openssl reads them. */
function subject(user: string, groups: readonly string[]): string {
  const escaped = (value: string) => value.replace(/[\\/]/g, (c) => `\\${c}`);
  return `${groups.map((g) => `/O=${escaped(g)}`).join('')}/CN=${escaped(user)}`;
}

let serial = Date.now();

/** Signs a certificate for `key` with the CA, valid for two days (a test run is minutes). */
async function sign(
  dir: string,
  name: string,
  key: string,
  subj: string,
  extensions: readonly string[],
  ca: { cert: string; key: string },
) {
  const out = join(dir, `${name}.crt`);
  serial += 1;
  const addext = extensions.flatMap((extension) => ['-addext', extension]);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    subj,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    String(serial),
    '-days',
    '2',
    ...addext,
    '-out',
    out,
  ]);
  return out;
}

/** Makes the control plane's keys and certificates in `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = newKey(join(dir, 'ca.key'));
  const caCert = join(dir, 'ca.crt');
  const caExtensions = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    '/CN=restate-stack test control plane CA',
    '-days',
    '2',
    '-out',
    caCert,
    ...caExtensions.flatMap((extension) => ['-addext', extension]),
  ]);
  const ca = { cert: caCert, key: caKey };
  const leaf = (usage: 'serverAuth' | 'clientAuth', names?: readonly string[]) => [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${usage}`,
    ...(names ? [`subjectAltName=${names.join(',')}`] : []),
  ];

  const servingKey = newKey(join(dir, 'serving.key'));
  const kubeletServingKey = newKey(join(dir, 'kubelet-serving.key'));
  const clientKeys = Object.keys(CLIENTS).map((name) => newKey(join(dir, `${name}.key`)));
  const [servingCert, kubeletServingCert, ...clientCerts] = await Promise.all([
    sign(dir, 'serving', servingKey, '/CN=kube-apiserver', leaf('serverAuth', SERVING_NAMES), ca),
    sign(dir, 'kubelet-serving', kubeletServingKey, '/CN=kubelet', leaf('serverAuth', [`IP:${KUBELET_ADDRESS}`]), ca),
    ...Object.entries(CLIENTS).map(([name, who], i) =>
      sign(dir, name, clientKeys[i], subject(who.user, who.groups), leaf('clientAuth'), ca),
    ),
  ]);
  const clients = Object.fromEntries(
    Object.keys(CLIENTS).map((name, i) => [name, { key: clientKeys[i], cert: clientCerts[i] }]),
  ) as Pki['clients'];

  const serviceAccount = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serviceAccountKey = join(dir, 'service-account.key');
  const serviceAccountPublicKey = join(dir, 'service-account.pub');
  writeFileSync(serviceAccountKey, serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(serviceAccountPublicKey, serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    dir,
    caCert,
    caKey,
    servingCert,
    servingKey,
    kubeletServingCert,
    kubeletServingKey,
    serviceAccountKey,
    serviceAccountPublicKey,
    clients,
  };
}
