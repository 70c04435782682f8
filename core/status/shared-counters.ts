import { claimSlot } from "../balance/shared-slots.ts";
import type { StatusCounters } from "./counters.ts";
import { ACTIVE, add, PEER_ACTIVE, PEER_SELECTED, PEER_WORDS, READING, SERVER_WORDS, WAITING, WRITING } from "./layout.ts";

/** The buffer starts with two words: the peer capacity and the number of threads. */
const HEADER_BYTES = 8;
/** Words per key in the key table: its two hashes. */
const KEY_WORDS = 2;

/**
 * Counters in one SharedArrayBuffer for the threads of `worker_processes`, so that the status
 * pages of any thread report the whole process, as nginx's counters in shared memory report
 * every worker. Each thread writes only its own segment, with plain stores: nobody else writes
 * there, so no atomics are needed and no cache line bounces between cores; a reader sums the
 * segments, seeing each word as of some recent moment (aligned 8-byte words, which 64-bit
 * platforms read and write whole). Peers find their words by a key table claimed as the
 * shared peer-health table's is (balance/shared-slots.ts), so a peer has the same slot in
 * every thread and across reloads.
 *
 * Layout: [capacity, threads] as 32-bit words, the key table (`capacity` slots of two words),
 * then one segment per thread: the server words, then `capacity` peers' words.
 */
export class SharedCounters implements StatusCounters {
  readonly server: Float64Array;
  readonly #keys: Uint32Array;
  readonly #capacity: number;
  readonly #threads: number;
  readonly #segments: Float64Array[] = [];
  readonly #own: Float64Array;
  readonly #slots = new Map<string, number>();
  readonly #views = new Map<string, Float64Array>();

  /** A buffer for `threads` threads and up to `capacity` distinct peer keys, to hand to every thread. */
  static allocate(threads: number, capacity = 16_384): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(HEADER_BYTES + keyTableBytes(capacity) + threads * segmentBytes(capacity));
    const header = new Uint32Array(buffer, 0, 2);
    header[0] = capacity;
    header[1] = threads;
    return buffer;
  }

  /**
   * Thread `thread`'s view. Its in-flight gauges start at zero: a thread that replaces one that
   * died does not inherit the connections and attempts that died with it; the totals stay.
   */
  constructor(buffer: SharedArrayBuffer, thread: number) {
    const header = new Uint32Array(buffer, 0, 2);
    this.#capacity = header[0] as number;
    this.#threads = header[1] as number;
    if (thread < 0 || thread >= this.#threads) throw new Error(`thread ${thread} of ${this.#threads}: no such counter segment`);
    this.#keys = new Uint32Array(buffer, HEADER_BYTES, this.#capacity * KEY_WORDS);
    const start = HEADER_BYTES + keyTableBytes(this.#capacity);
    for (let t = 0; t < this.#threads; t++) {
      this.#segments.push(new Float64Array(buffer, start + t * segmentBytes(this.#capacity), segmentBytes(this.#capacity) / 8));
    }
    this.#own = this.#segments[thread] as Float64Array;
    this.server = this.#own.subarray(0, SERVER_WORDS);
    this.#clearGauges();
  }

  peer(key: string): Float64Array {
    let view = this.#views.get(key);
    if (!view) {
      const at = this.#peerBase(key);
      view = this.#own.subarray(at, at + PEER_WORDS);
      this.#views.set(key, view);
    }
    return view;
  }

  serverTotals(): Float64Array {
    const out = new Float64Array(SERVER_WORDS);
    for (const segment of this.#segments) for (let i = 0; i < SERVER_WORDS; i++) add(out, i, segment[i] as number);
    return out;
  }

  peerTotals(key: string): Float64Array {
    const at = this.#peerBase(key);
    const out = new Float64Array(PEER_WORDS);
    for (const segment of this.#segments) {
      for (let i = 0; i < PEER_WORDS; i++) {
        const value = segment[at + i] as number;
        if (i === PEER_SELECTED) out[i] = Math.max(out[i] as number, value);
        else add(out, i, value);
      }
    }
    return out;
  }

  /** Where a peer's words start in a segment. */
  #peerBase(key: string): number {
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      const claimed = claimSlot(this.#keys, KEY_WORDS, key);
      if (claimed === null) throw new Error(`more than ${this.#capacity} distinct upstream servers: the shared counter table is full`);
      slot = claimed;
      this.#slots.set(key, slot);
    }
    return SERVER_WORDS + slot * PEER_WORDS;
  }

  /** Zeroes this thread's gauges, visiting only the peer slots some thread claimed (the rest were never written). */
  #clearGauges(): void {
    for (const word of [ACTIVE, READING, WRITING, WAITING]) this.#own[word] = 0;
    for (let slot = 0; slot < this.#capacity; slot++) {
      if (Atomics.load(this.#keys, slot * KEY_WORDS) !== 0) this.#own[SERVER_WORDS + slot * PEER_WORDS + PEER_ACTIVE] = 0;
    }
  }
}

function keyTableBytes(capacity: number): number {
  return capacity * KEY_WORDS * 4;
}

function segmentBytes(capacity: number): number {
  return (SERVER_WORDS + capacity * PEER_WORDS) * 8;
}
