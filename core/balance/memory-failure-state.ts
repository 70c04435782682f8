import type { FailureState, PeerHealth } from "../capabilities.ts";

/**
 * Peer health in process memory, as nginx keeps it per worker without a `zone`: the store
 * for Node and Bun. It outlives a proxy, so a reload that keeps a peer keeps its health.
 */
export class MemoryFailureState implements FailureState {
  readonly #records = new Map<string, PeerHealth>();

  peer(key: string): PeerHealth {
    let record = this.#records.get(key);
    if (!record) {
      record = { fails: 0, accessed: 0, checked: 0, active: "up" };
      this.#records.set(key, record);
    }
    return record;
  }

  /** The record for a peer if one was made; never creates one. */
  find(key: string): PeerHealth | undefined {
    return this.#records.get(key);
  }

  changed(): void {
    // The records are the state; nothing else to tell.
  }
}
