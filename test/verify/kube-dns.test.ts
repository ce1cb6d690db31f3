import { createSocket } from 'node:dgram';
import { DnsRcode, DnsType, encodeQuery, encodeResponse, parseAnswer, parseQuery } from '../../lib/verify/dns-wire';
import { podFqdn, registerClusterPods } from '../../lib/verify/cluster-dns';
import { KubeDns } from '../../lib/verify/kube-dns';
import { MAX_DNS_SEARCH_PATHS, podHostsFile, podResolvConf } from '../../lib/verify/pod-dns';

describe('the cluster DNS stand-in (kube-dns records)', () => {
  // GIVEN the records the operator's objects create for a 3-node cluster in namespace restate-dev
  const dns = registerClusterPods(new KubeDns(), 'restate-dev', 3).addService({
    namespace: 'default',
    name: 'api',
    clusterIp: '127.0.5.1',
  });

  test('a StatefulSet pod resolves by its full name <hostname>.<headless-svc>.<ns>.svc.<domain>', () => {
    // THEN restate-1 answers with its own address, case-insensitively and with a trailing dot
    expect(dns.lookup('restate-1.restate-cluster.restate-dev.svc.cluster.local', DnsType.A)).toEqual({
      rcode: DnsRcode.NOERROR,
      addresses: ['127.0.0.2'],
    });
    expect(dns.resolve('Restate-1.Restate-Cluster.restate-dev.svc.cluster.local.')).toEqual(['127.0.0.2']);
    expect(podFqdn('restate-dev', 1, 'cluster.local')).toBe('restate-1.restate-cluster.restate-dev.svc.cluster.local');
  });

  test('a headless Service lists its pods; a ClusterIP Service answers its ClusterIP', () => {
    expect(dns.resolve('restate-cluster.restate-dev.svc.cluster.local')).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(dns.resolve('api.default.svc.cluster.local')).toEqual(['127.0.5.1']);
  });

  test('short names, other namespaces, other domains and unknown pods are NXDOMAIN: search lists are the client’s business', () => {
    for (const name of [
      'restate-1.restate-cluster',
      'restate-1.restate-cluster.restate-operator.svc.cluster.local',
      'restate-1.restate-cluster.svc.cluster.local',
      'restate-1.restate-cluster.restate-dev.svc.example.org',
      'restate-3.restate-cluster.restate-dev.svc.cluster.local',
      'api.github.com',
    ]) {
      expect([name, dns.lookup(name, DnsType.A)]).toEqual([name, { rcode: DnsRcode.NXDOMAIN, addresses: [] }]);
    }
  });

  test('AAAA of a known name is an empty NOERROR answer (the name exists, IPv4 only)', () => {
    expect(dns.lookup('restate-0.restate-cluster.restate-dev.svc.cluster.local', DnsType.AAAA)).toEqual({
      rcode: DnsRcode.NOERROR,
      addresses: [],
    });
  });

  test('another cluster domain is honoured', () => {
    const other = registerClusterPods(new KubeDns({ domain: 'k8s.example' }), 'restate-dev', 1);
    expect(other.resolve('restate-0.restate-cluster.restate-dev.svc.k8s.example')).toEqual(['127.0.0.1']);
    expect(other.resolve('restate-0.restate-cluster.restate-dev.svc.cluster.local')).toBeUndefined();
  });
});

describe('the DNS wire format of the stand-in', () => {
  test('a query round-trips through parseQuery and an answer through parseAnswer', () => {
    // GIVEN a query as a stub resolver sends it
    const question = parseQuery(encodeQuery(0x1234, 'Restate-0.restate-cluster.restate-dev.svc.cluster.local', DnsType.A));
    // THEN the name is read lower-case, and the answer echoes the id with the records
    expect(question).toEqual({
      id: 0x1234,
      flags: 0x0100,
      name: 'restate-0.restate-cluster.restate-dev.svc.cluster.local',
      type: DnsType.A,
      qclass: 1,
    });
    expect(parseAnswer(encodeResponse(question!, DnsRcode.NOERROR, ['127.0.0.1', '127.0.0.2']))).toEqual({
      id: 0x1234,
      rcode: DnsRcode.NOERROR,
      authoritative: true,
      addresses: ['127.0.0.1', '127.0.0.2'],
    });
  });

  test('answers and malformed packets are not taken for queries', () => {
    const answer = encodeResponse(parseQuery(encodeQuery(1, 'a.b', DnsType.A))!, DnsRcode.NXDOMAIN, []);
    expect(parseQuery(answer)).toBeUndefined();
    expect(parseQuery(Buffer.from([1, 2, 3]))).toBeUndefined();
    expect(parseQuery(encodeQuery(1, 'a.b', DnsType.A).subarray(0, 16))).toBeUndefined();
  });

  test('the server answers over UDP: the pod address, and NXDOMAIN for a short name', async () => {
    // GIVEN the stand-in on a free loopback port
    const dns = registerClusterPods(new KubeDns({ ip: '127.0.0.1', port: 0 }), 'restate-dev', 2);
    await dns.start();
    const client = createSocket('udp4');
    const ask = (id: number, name: string) =>
      new Promise<ReturnType<typeof parseAnswer>>((resolve) => {
        client.once('message', (packet) => resolve(parseAnswer(packet)));
        client.send(encodeQuery(id, name, DnsType.A), dns.port, dns.ip);
      });
    try {
      // WHEN a full and a short name are asked for THEN the first has the address, the second does not exist
      expect(await ask(7, 'restate-1.restate-cluster.restate-dev.svc.cluster.local')).toEqual({
        id: 7,
        rcode: DnsRcode.NOERROR,
        authoritative: true,
        addresses: ['127.0.0.2'],
      });
      expect(await ask(8, 'restate-1.restate-cluster')).toEqual({ id: 8, rcode: DnsRcode.NXDOMAIN, authoritative: true, addresses: [] });
      expect(dns.queries).toEqual(['restate-1.restate-cluster.restate-dev.svc.cluster.local', 'restate-1.restate-cluster']);
    } finally {
      client.close();
      await dns.stop();
    }
  });
});

describe('a pod’s resolv.conf as the kubelet writes it (dnsPolicy ClusterFirst)', () => {
  test('the pod’s namespace comes first in the search list, with ndots 5', () => {
    // WHEN a pod in restate-operator gets no dnsConfig THEN its search list covers only its own namespace's short names
    expect(podResolvConf({ namespace: 'restate-operator' }).text).toBe(
      'nameserver 127.0.1.53\nsearch restate-operator.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n',
    );
  });

  test('dnsConfig searches and nameservers are appended, duplicates dropped, options merged by name', () => {
    const conf = podResolvConf({
      namespace: 'restate-operator',
      clusterDomain: 'k8s.example',
      nodeSearches: ['corp.example'],
      dnsConfig: {
        searches: ['restate-prod.svc.k8s.example', 'svc.k8s.example'],
        nameservers: ['127.0.1.54'],
        options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
      },
    });
    expect(conf.searches).toEqual([
      'restate-operator.svc.k8s.example',
      'svc.k8s.example',
      'k8s.example',
      'corp.example',
      'restate-prod.svc.k8s.example',
    ]);
    expect(conf.text).toBe(
      'nameserver 127.0.1.53\nnameserver 127.0.1.54\nsearch restate-operator.svc.k8s.example svc.k8s.example k8s.example corp.example restate-prod.svc.k8s.example\noptions ndots:2 edns0\n',
    );
    expect(conf.dropped).toEqual([]);
  });

  test('search domains past the kubelet limit are dropped, last first, and reported', () => {
    // GIVEN a node with 30 search domains of its own WHEN a pod appends one more THEN the pod's own is dropped
    const nodeSearches = Array.from({ length: 30 }, (_, i) => `d${i}.example`);
    const conf = podResolvConf({ namespace: 'ns', nodeSearches, dnsConfig: { searches: ['restate-prod.svc.cluster.local'] } });
    expect(conf.searches).toHaveLength(MAX_DNS_SEARCH_PATHS);
    expect(conf.dropped).toEqual(['d29.example', 'restate-prod.svc.cluster.local']);
  });

  test('the hosts file has localhost and the pod’s own names only', () => {
    expect(podHostsFile({ ip: '127.0.0.2', hostname: 'restate-1', fqdn: 'restate-1.restate-cluster.restate-dev.svc.cluster.local' })).toBe(
      '# Kubernetes-managed hosts file (stand-in).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.2\trestate-1.restate-cluster.restate-dev.svc.cluster.local\trestate-1\n',
    );
  });
});
