import { PEER_WORDS, SERVER_WORDS } from "./layout.ts";

/**
 * nginx's statistics counters (`ngx_stat_*`: connections, requests and their states) and
 * edgeproxy's per-peer counts, laid out as status/layout.ts says. The thread that serves a
 * connection or an attempt counts it in its own words with plain increments: no atomics, no
 * allocation, no lock on the request path. The status pages read the sums over every thread.
 */
export interface StatusCounters {
  /** This thread's words for the whole server. */
  readonly server: Float64Array;
  /** This thread's words for one peer, by its stable key (made at load, the same array every time). */
  peer(key: string): Float64Array;
  /** The server's words summed over every thread. */
  serverTotals(): Float64Array;
  /** A peer's words summed over every thread (the time of the last pick is the latest one). */
  peerTotals(key: string): Float64Array;
}

/**
 * Counters in this thread's memory: Node and Bun with one thread, a Worker's isolate, a Hono
 * app. They outlive a proxy, so a reload keeps the counts, as nginx's shared memory keeps them.
 */
export class MemoryCounters implements StatusCounters {
  readonly server = new Float64Array(SERVER_WORDS);
  readonly #peers = new Map<string, Float64Array>();

  peer(key: string): Float64Array {
    let words = this.#peers.get(key);
    if (!words) {
      words = new Float64Array(PEER_WORDS);
      this.#peers.set(key, words);
    }
    return words;
  }

  serverTotals(): Float64Array {
    return this.server.slice();
  }

  peerTotals(key: string): Float64Array {
    return this.peer(key).slice();
  }
}
