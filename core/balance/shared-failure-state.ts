import type { ActiveHealth, FailureState, PeerHealth } from "../capabilities.ts";
import { claimSlot } from "./shared-slots.ts";

/** Words per slot: two key hashes, then fails, accessed, checked, and the active checks' verdict. */
const SLOT_WORDS = 6;
const FAILS = 2;
const ACCESSED = 3;
const CHECKED = 4;
const ACTIVE = 5;

/** The active verdicts as words: 0, the zero a fresh slot holds, is `up`. */
const ACTIVE_WORDS: readonly ActiveHealth[] = ["up", "unhealthy", "checking"];

/**
 * Peer health in a SharedArrayBuffer, shared by threads that serve the same config, as nginx's
 * `zone` shares it between worker processes: a failure counted by one thread is seen by the
 * next request in any of them, so `max_fails` counts across the whole process.
 *
 * The table is an open-addressed hash of peer keys, claimed slot by slot with compare-and-swap;
 * a key is told apart by two independent 32-bit hashes. Slots are never freed: a reload that
 * keeps a peer finds its record again. Fields are single 32-bit words read and written with
 * Atomics (whole seconds fit until 2106). An update is a load then a store, not a lock as in
 * nginx: two threads failing the same peer in the same instant may count it once.
 */
export class SharedFailureState implements FailureState {
  readonly #words: Uint32Array;
  readonly #capacity: number;
  readonly #records = new Map<string, PeerHealth>();

  /** A table for up to `capacity` distinct peer keys, to hand to every thread. */
  static allocate(capacity = 16_384): SharedArrayBuffer {
    return new SharedArrayBuffer(capacity * SLOT_WORDS * 4);
  }

  constructor(table: SharedArrayBuffer) {
    this.#words = new Uint32Array(table);
    this.#capacity = this.#words.length / SLOT_WORDS;
  }

  peer(key: string): PeerHealth {
    let record = this.#records.get(key);
    if (!record) {
      record = new SharedPeerHealth(this.#words, this.#slot(key) * SLOT_WORDS);
      this.#records.set(key, record);
    }
    return record;
  }

  /** The record for a peer if this thread made one; never creates one. */
  find(key: string): PeerHealth | undefined {
    return this.#records.get(key);
  }

  changed(): void {
    // Every thread reads the same words: nothing else to tell.
  }

  /** The key's slot, claimed on first use by whichever thread gets there first. */
  #slot(key: string): number {
    const slot = claimSlot(this.#words, SLOT_WORDS, key);
    if (slot === null) throw new Error(`more than ${this.#capacity} distinct upstream servers: the shared peer table is full`);
    return slot;
  }
}

/** A PeerHealth whose fields live in the shared table. */
class SharedPeerHealth implements PeerHealth {
  readonly #words: Uint32Array;
  readonly #base: number;

  constructor(words: Uint32Array, base: number) {
    this.#words = words;
    this.#base = base;
  }

  get fails(): number {
    return Atomics.load(this.#words, this.#base + FAILS);
  }
  set fails(value: number) {
    Atomics.store(this.#words, this.#base + FAILS, value);
  }
  get accessed(): number {
    return Atomics.load(this.#words, this.#base + ACCESSED);
  }
  set accessed(value: number) {
    Atomics.store(this.#words, this.#base + ACCESSED, value);
  }
  get checked(): number {
    return Atomics.load(this.#words, this.#base + CHECKED);
  }
  set checked(value: number) {
    Atomics.store(this.#words, this.#base + CHECKED, value);
  }
  get active(): ActiveHealth {
    return ACTIVE_WORDS[Atomics.load(this.#words, this.#base + ACTIVE)] ?? "up";
  }
  set active(value: ActiveHealth) {
    Atomics.store(this.#words, this.#base + ACTIVE, ACTIVE_WORDS.indexOf(value));
  }
}
