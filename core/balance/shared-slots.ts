import { crc32 } from "./crc32.ts";

/**
 * The slot of `key` in a table shared by threads: `words` holds slots of `stride` words whose
 * first two are the key's two independent 32-bit hashes, claimed on first use with
 * compare-and-swap by whichever thread gets there first. The same key finds the same slot in
 * every thread; slots are never freed, so a reload that keeps a key finds it again. Null when
 * every slot is taken by other keys.
 */
export function claimSlot(words: Uint32Array, stride: number, key: string): number | null {
  const capacity = Math.floor(words.length / stride);
  const bytes = new TextEncoder().encode(key);
  const first = fnv1a(bytes) || 1;
  const second = crc32(bytes) || 1;
  for (let probe = 0; probe < capacity; probe++) {
    const slot = (first + probe) % capacity;
    const base = slot * stride;
    const owner = Atomics.compareExchange(words, base, 0, first);
    if (owner === 0) {
      Atomics.store(words, base + 1, second);
      return slot;
    }
    if (owner !== first) continue;
    // Claimed with our first hash: wait out the instant before its claimer writes the second.
    let other = Atomics.load(words, base + 1);
    while (other === 0) other = Atomics.load(words, base + 1);
    if (other === second) return slot;
  }
  return null;
}

/** 32-bit FNV-1a: independent of CRC-32, so two keys that share both are practically impossible. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}
