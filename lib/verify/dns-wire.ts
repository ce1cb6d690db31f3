/**
 * The few pieces of the DNS wire format (RFC 1035 §4) a stub resolver's A/AAAA query and its answer need:
 * enough for glibc's and musl's getaddrinfo, nothing more (no compression in questions, no EDNS, no TCP).
 */

/** Record types the stand-in answers. */
export const DnsType = { A: 1, AAAA: 28 } as const;

/** Response codes (RFC 1035 §4.1.1). */
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

export interface DnsQuestion {
  readonly id: number;
  /** The header flags of the query (opcode and RD are echoed). */
  readonly flags: number;
  /** Lower-case, without the trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly qclass: number;
}

const CLASS_IN = 1;

/** Reads the first question of a query; undefined for anything that is not a well-formed standard query. */
export function parseQuery(packet: Buffer): DnsQuestion | undefined {
  if (packet.length < 12) return undefined;
  const id = packet.readUInt16BE(0);
  const flags = packet.readUInt16BE(2);
  const qdcount = packet.readUInt16BE(4);
  if ((flags & 0x8000) !== 0 || qdcount < 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    if (at >= packet.length) return undefined;
    const length = packet[at];
    if (length === 0) {
      at += 1;
      break;
    }
    if (length > 63 || at + 1 + length > packet.length) return undefined; // pointers do not occur in a question
    labels.push(packet.toString('latin1', at + 1, at + 1 + length));
    at += 1 + length;
  }
  if (at + 4 > packet.length) return undefined;
  return { id, flags, name: labels.join('.').toLowerCase(), type: packet.readUInt16BE(at), qclass: packet.readUInt16BE(at + 2) };
}

function encodeName(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.');
  return Buffer.concat([
    ...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])),
    Buffer.from([0]),
  ]);
}

function ipv4(address: string): Buffer {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(octets);
}

/**
 * The answer to `question`: authoritative, recursion available, the question echoed, and one A record per
 * address (TTL `ttl`); no records with NOERROR is "the name exists, but has no record of this type".
 */
export function encodeResponse(question: DnsQuestion, rcode: number, addresses: readonly string[], ttl = 5): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, the query's opcode, AA, the query's RD, RA, rcode.
  header.writeUInt16BE(0x8000 | (question.flags & 0x7800) | 0x0400 | (question.flags & 0x0100) | 0x0080 | (rcode & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const q = Buffer.concat([
    encodeName(question.name),
    Buffer.from([question.type >> 8, question.type & 0xff, question.qclass >> 8, question.qclass & 0xff]),
  ]);
  const answers = addresses.map((address) => {
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // pointer to the name in the question
    record.writeUInt16BE(DnsType.A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(ttl, 6);
    record.writeUInt16BE(4, 10);
    return Buffer.concat([record, ipv4(address)]);
  });
  return Buffer.concat([header, q, ...answers]);
}

/** A query for `name` (tests, and probes of the stand-in). */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, encodeName(name), Buffer.from([type >> 8, type & 0xff, 0, CLASS_IN])]);
}

export interface DnsAnswer {
  readonly id: number;
  readonly rcode: number;
  readonly authoritative: boolean;
  /** IPv4 addresses of the A records in the answer section. */
  readonly addresses: readonly string[];
}

/** Reads an answer as encodeResponse writes it (one question, A records with a name pointer). */
export function parseAnswer(packet: Buffer): DnsAnswer {
  const flags = packet.readUInt16BE(2);
  const ancount = packet.readUInt16BE(6);
  let at = 12;
  while (packet[at] !== 0) at += 1 + packet[at];
  at += 5;
  const addresses: string[] = [];
  for (let i = 0; i < ancount; i++) {
    const length = packet.readUInt16BE(at + 10);
    if (packet.readUInt16BE(at + 2) === DnsType.A && length === 4) addresses.push([...packet.subarray(at + 12, at + 16)].join('.'));
    at += 12 + length;
  }
  return { id: packet.readUInt16BE(0), rcode: flags & 0xf, authoritative: (flags & 0x0400) !== 0, addresses };
}
