import type { Balancer as BalancerConfig } from "../config/model.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { buildRing, pickConsistentHash, ringStart } from "./consistent-hash.ts";
import { pickHash } from "./hash.ts";
import { ipHashKey, pickIpHash } from "./ip-hash.ts";
import { pickLeastConn } from "./least-conn.ts";
import type { Peer, PeerGroup } from "./peer-group.ts";
import { mathRandomInt, pickRandom, pickRandomTwo, type RandomInt } from "./random.ts";
import { newPickState, type PickState, pickRoundRobin } from "./round-robin.ts";

/** One upstream's balancing method, chosen at load: a per-request start, then picks. */
export interface Balancer {
  /** The state one request carries through its attempts. */
  begin(ctx: RequestContext): PickState;
  /** The next peer for this request, counted and marked tried; null is "no live upstreams". */
  pick(state: PickState, nowSec: number): Peer | null;
}

/** Per-request facts a balancer keeps beside its state (the hash key, the client's bytes). */
interface Keyed extends PickState {
  key: string;
  bytes: Uint8Array;
}

/** Builds the balancer an upstream's config names (docs/nginx-semantics.md 2-4). */
export function createBalancer(group: PeerGroup, config: BalancerConfig, random: RandomInt = mathRandomInt): Balancer {
  switch (config.kind) {
    case "round-robin":
      return { begin: () => newPickState(), pick: (s, now) => pickRoundRobin(group, s, now) };
    case "least_conn":
      return { begin: () => newPickState(), pick: (s, now) => pickLeastConn(group, s, now) };
    case "random":
      return {
        begin: () => newPickState(),
        pick: config.two ? (s, now) => pickRandomTwo(group, s, now, random) : (s, now) => pickRandom(group, s, now, random),
      };
    case "ip_hash":
      return {
        begin: (ctx) => ({ ...newPickState(89), key: "", bytes: ipHashKey(ctx.connection.remoteAddress) }),
        pick: (s, now) => pickIpHash(group, s, (s as Keyed).bytes, now),
      };
    case "hash": {
      const template = config.key;
      if (!config.isConsistent) {
        return {
          begin: (ctx) => ({ ...newPickState(), key: renderTemplate(template, ctx), bytes: new Uint8Array(0) }),
          pick: (s, now) => pickHash(group, s, (s as Keyed).key, now),
        };
      }
      const ring = buildRing(group);
      return {
        begin: (ctx) => {
          const key = renderTemplate(template, ctx);
          return { ...newPickState(ringStart(ring, key)), key, bytes: new Uint8Array(0) };
        },
        pick: (s, now) => pickConsistentHash(group, ring, s, (s as Keyed).key, now),
      };
    }
    default: {
      const never: never = config;
      throw new Error(`unknown balancer ${String(never)}`);
    }
  }
}
