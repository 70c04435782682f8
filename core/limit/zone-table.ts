import { crc32Latin1 } from "../balance/crc32.ts";

/** Float64 words per slot: the key's two hashes and the count, then excess, last and used. */
const SLOT_WORDS = 6;
const HASHES = 0;
const COUNT = 1;
const EXCESS = 2;
const LAST = 3;
const USED = 4;
/** Bytes before the slots: the lock word, padded to eight. */
const HEADER = 8;
/** How many slots past its home a key may live. */
const WINDOW = 32;
/** A slot no key ever took: a lookup stops here. */
const NEVER = 0;
/** A slot a key gave back: a lookup goes past it, an insert takes it. */
const FREED = 1;

/**
 * One limit zone's states (nginx's shared memory zone of a limit module), in an ArrayBuffer or
 * a SharedArrayBuffer the threads of `worker_processes` share, as nginx's workers share the
 * zone's memory. A key's state lives within a short window of slots from its hash; the zone is
 * locked around each use, as nginx locks its zone's mutex. When a key finds no room, the
 * caller's idea of a reclaimable state decides whom it replaces (nginx expires stale states and
 * then the least recently used one).
 *
 * A state is: `count` (limit_req: lookups in progress, limit_conn: connections), `excess` and
 * `last` (limit_req's leaky bucket, in thousandths of a request and ms), and `used` (ms, for LRU).
 */
export class ZoneTable {
  readonly #lock: Int32Array;
  readonly #words: Float64Array;
  readonly #capacity: number;

  /** The bytes a zone of `capacity` states takes. */
  static bytesFor(capacity: number): number {
    return HEADER + capacity * SLOT_WORDS * 8;
  }

  constructor(buffer: ArrayBuffer | SharedArrayBuffer) {
    this.#lock = new Int32Array(buffer, 0, 1);
    this.#words = new Float64Array(buffer, HEADER);
    this.#capacity = Math.floor(this.#words.length / SLOT_WORDS);
  }

  /** How a key is found in this table. */
  hash(key: string): KeyHash {
    return hashKey(key, this.#capacity);
  }

  /** A key as this table finds it from the hash another table gave (`hashAt`): its window is this table's. */
  rehash(value: number): KeyHash {
    return { home: crcOf(value) % this.#capacity, value };
  }

  /** The hash of the key whose state is in `slot` (its `value`). Call locked. */
  hashAt(slot: number): number {
    return this.#words[slot * SLOT_WORDS + HASHES] as number;
  }

  /** Runs `fn` with the zone locked against the other threads. */
  locked<T>(fn: () => T): T {
    while (Atomics.compareExchange(this.#lock, 0, 0, 1) !== 0) {
      // Another thread holds it for a few arithmetic steps.
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.#lock, 0, 0);
    }
  }

  /** The slot of a key's state, or -1. Call locked. */
  find(hash: KeyHash): number {
    const words = this.#words;
    for (let i = 0; i < WINDOW && i < this.#capacity; i++) {
      const slot = (hash.home + i) % this.#capacity;
      const held = words[slot * SLOT_WORDS + HASHES] as number;
      if (held === NEVER) return -1;
      if (held === hash.value) return slot;
    }
    return -1;
  }

  /**
   * A slot for a new key (its state zeroed), or -1 when none can be had: a free slot, else the
   * first one `isStale` gives up, else the least recently used one `isIdle` allows. Call locked.
   */
  claim(hash: KeyHash, isStale: (slot: number) => boolean, isIdle: (slot: number) => boolean): number {
    let stale = -1;
    let lru = -1;
    for (let i = 0; i < WINDOW && i < this.#capacity; i++) {
      const slot = (hash.home + i) % this.#capacity;
      const held = this.#words[slot * SLOT_WORDS + HASHES] as number;
      if (held === NEVER || held === FREED) return this.#take(slot, hash);
      if (stale < 0 && isStale(slot)) stale = slot;
      if (isIdle(slot) && (lru < 0 || this.used(slot) < this.used(lru))) lru = slot;
    }
    const slot = stale >= 0 ? stale : lru;
    return slot < 0 ? -1 : this.#take(slot, hash);
  }

  /** Gives a key's slot back. Call locked. */
  free(slot: number): void {
    this.#words[slot * SLOT_WORDS + HASHES] = FREED;
  }

  #take(slot: number, hash: KeyHash): number {
    const base = slot * SLOT_WORDS;
    this.#words.fill(0, base, base + SLOT_WORDS);
    this.#words[base + HASHES] = hash.value;
    return slot;
  }

  count(slot: number): number {
    return this.#words[slot * SLOT_WORDS + COUNT] as number;
  }
  setCount(slot: number, value: number): void {
    this.#words[slot * SLOT_WORDS + COUNT] = value;
  }
  excess(slot: number): number {
    return this.#words[slot * SLOT_WORDS + EXCESS] as number;
  }
  setExcess(slot: number, value: number): void {
    this.#words[slot * SLOT_WORDS + EXCESS] = value;
  }
  last(slot: number): number {
    return this.#words[slot * SLOT_WORDS + LAST] as number;
  }
  setLast(slot: number, ms: number): void {
    this.#words[slot * SLOT_WORDS + LAST] = ms;
  }
  used(slot: number): number {
    return this.#words[slot * SLOT_WORDS + USED] as number;
  }
  setUsed(slot: number, ms: number): void {
    this.#words[slot * SLOT_WORDS + USED] = ms;
  }
}

/** A key as the table finds it: where its window starts, and a 52-bit hash that tells keys apart. */
export interface KeyHash {
  readonly home: number;
  readonly value: number;
}

/**
 * The hash of a key (a byte string, one char per byte): CRC-32 as nginx's
 * `ngx_crc32_short()` places it, with FNV-1a for the high bits, so that two keys that share a
 * slot's hash are practically never confused. Never 0 or 1, the table's markers.
 */
function hashKey(key: string, capacity: number): KeyHash {
  const crc = crc32Latin1(key);
  let fnv = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) fnv = Math.imul(fnv ^ (key.charCodeAt(i) & 0xff), 0x01000193);
  return { home: crc % capacity, value: (fnv >>> 12) * 2 ** 32 + crc + 2 };
}

/** The CRC-32 inside a hash's value, whatever the capacity of the table that made it. */
function crcOf(value: number): number {
  return (value - 2) % 2 ** 32;
}
