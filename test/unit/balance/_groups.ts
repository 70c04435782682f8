import { type Balancer, createBalancer } from "../../../core/balance/balancer.ts";
import { createPeerGroup, type Peer, type PeerGroup } from "../../../core/balance/peer-group.ts";
import type { RandomInt } from "../../../core/balance/random.ts";
import { compileConfig, MemoryCounters, MemoryFailureState, parseConfigText } from "../../../core/index.ts";
import { newRequest } from "../../../core/phases/read.ts";
import type { RequestContext } from "../../../core/shape/request-context.ts";

/** An upstream block compiled, with its peers and balancer, for balancer tables. */
export async function upstream(
  body: string,
  random?: RandomInt,
): Promise<{ group: PeerGroup; balancer: Balancer; failures: MemoryFailureState }> {
  const config = await compileConfig(parseConfigText(`events {} http { upstream u { ${body} } }`));
  const failures = new MemoryFailureState();
  const group = createPeerGroup(
    config.upstreams[0] ??
      (() => {
        throw new Error("no upstream");
      })(),
    failures,
    new MemoryCounters(),
  );
  return { group, balancer: createBalancer(group, config.upstreams[0]?.balancer ?? { kind: "round-robin" }, random), failures };
}

/** The letter of a peer: a for port 1, b for port 2, ... (servers are 127.0.0.1:1, :2, ...). */
export function letter(peer: Peer | null): string {
  if (!peer) return "-";
  const a = peer.server.address;
  return a.kind === "tcp" ? String.fromCharCode(96 + a.port) : "u";
}

/** A request context with just what balancers read: the client address, `$request_uri` and headers. */
export function request(remoteAddress = "127.0.0.1", requestUri = "/", headers: [string, string][] = []): RequestContext {
  const head = { method: "GET", target: requestUri, httpVersion: "1.1", headers, framing: { kind: "none" } } as const;
  const connection = { remoteAddress, remotePort: 1, listenKey: "*:80", localAddress: "127.0.0.1", localPort: 80, isTls: false };
  const [uri = "/", args = ""] = requestUri.split("?");
  const target = { uri, args, requestUri, isQuoted: false, hasPlus: false, host: null };
  const quiet = { alert() {}, crit() {}, error() {}, warn() {}, notice() {}, info() {} };
  return newRequest(head, connection, SERVER, target, null, { caps: { clock: { now: () => 0 } }, counters: new MemoryCounters() }, quiet);
}

const SERVER = {
  at: { file: "t", line: 1 },
  listens: [],
  names: [""],
  locations: [],
  script: null,
  handler: null,
  settings: undefined as never,
};

/** `n` fresh requests, one pick each, released at once as successes; their letters. */
export function sequence(b: { balancer: Balancer; group: PeerGroup }, n: number, ctx = request(), nowSec = 1000): string {
  let out = "";
  for (let i = 0; i < n; i++) {
    const peer = b.balancer.pick(b.balancer.begin(ctx), nowSec);
    if (peer) peer.conns--;
    out += letter(peer);
  }
  return out;
}
