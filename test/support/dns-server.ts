import dgram from "node:dgram";

/** A loopback DNS server over UDP: the `resolver` both nginx and edgeproxy ask in tests. */
export interface DnsServer {
  readonly port: number;
  /** Names (lower-case) and their IPv4 addresses; any other name is NXDOMAIN. */
  readonly records: Map<string, string[]>;
  /** The TTL of every answer, in seconds. */
  ttlSec: number;
  /** Questions asked, as `NAME TYPE` (`A`, `AAAA`). */
  readonly asked: string[];
  close(): Promise<void>;
}

const TYPES: Record<number, string> = { 1: "A", 28: "AAAA" };

/** Starts a DNS server on 127.0.0.1 answering A questions from `records`, AAAA with no records. */
export async function startDnsServer(records: Record<string, string[]> = {}): Promise<DnsServer> {
  const socket = dgram.createSocket("udp4");
  const server: DnsServer = {
    port: 0,
    records: new Map(Object.entries(records)),
    ttlSec: 60,
    asked: [],
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on("message", (query, from) => {
    const answer = respond(server, query);
    if (answer) socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  (server as { port: number }).port = socket.address().port;
  return server;
}

/** The answer to one query (RFC 1035 4.1), or null for a packet that is not one. */
function respond(server: DnsServer, query: Buffer): Buffer | null {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  for (let len = query[at] as number; len > 0; len = query[at] as number) {
    labels.push(query.subarray(at + 1, at + 1 + len).toString("latin1"));
    at += len + 1;
  }
  const questionEnd = at + 5;
  const type = query.readUInt16BE(at + 1);
  const name = labels.join(".").toLowerCase();
  server.asked.push(`${name} ${TYPES[type] ?? type}`);
  const addresses = server.records.get(name);
  const found = type === 1 && addresses ? addresses : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // A response, recursion desired and available; NXDOMAIN (3) for a name it does not know.
  header.writeUInt16BE(0x8180 | (addresses ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(found.length, 6);
  const answers = found.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(server.ttlSec, 6);
    rr.writeUInt16BE(4, 10);
    ip.split(".").forEach((octet, i) => {
      rr[12 + i] = Number(octet);
    });
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}
