import { type Mutated, mutate } from "./mutate.ts";
import { caseRandom, type Random } from "./prng.ts";
import { FOLLOW_UPS, REQUEST_SEEDS } from "./request-corpus.ts";
import { FIRST_REQUESTS, type FirstRequest, POISON, RESPONSE_SEEDS } from "./response-corpus.ts";

/**
 * The cases of a run, each rebuilt from (seed, index) alone. Every fourth case is a response
 * case. The first pass over each corpus sends its seeds as they are (so every seed runs in a
 * run long enough); after that, random seeds with one to three mutations.
 */

/** Raw client bytes, sent to both proxies in the same writes. */
export interface RequestCase {
  readonly kind: "request";
  readonly index: number;
  readonly seed: string;
  readonly mutations: readonly string[];
  readonly bytes: Buffer;
  /** Offsets where the bytes are cut into separate writes. */
  readonly splits: readonly number[];
}

/** A scripted upstream answer to the case's first request, then a later client on a fresh connection. */
export interface ResponseCase {
  readonly kind: "response";
  readonly index: number;
  readonly seed: string;
  readonly mutations: readonly string[];
  readonly first: FirstRequest;
  /** The backend's bytes in order, each after its delay (tokens not yet filled in). */
  readonly segments: readonly { readonly bytes: Buffer; readonly delayMs: number }[];
  readonly close: boolean;
}

export type FuzzCase = RequestCase | ResponseCase;

/** Whether case `index` is a response case: every fourth. */
export const isResponseCase = (index: number): boolean => index % 4 === 3;

/** Case `index` of the run seeded with `seed`. */
export function buildCase(seed: number, index: number): FuzzCase {
  const random = caseRandom(seed, index);
  if (isResponseCase(index)) return responseCase(index, Math.floor(index / 4), random);
  return requestCase(index, index - Math.floor((index + 1) / 4), random);
}

function mutations(bytes: Buffer, random: Random, pure: boolean, extra: Parameters<typeof mutate>[2]): Mutated & { notes: string[] } {
  const notes: string[] = [];
  if (pure) return { bytes, note: "", notes };
  const count = random.pick([1, 1, 1, 2, 2, 3]);
  for (let i = 0; i < count; i++) {
    const next = mutate(bytes, random, extra);
    bytes = next.bytes;
    notes.push(next.note);
  }
  return { bytes, note: notes.join("; "), notes };
}

function requestCase(index: number, ordinal: number, random: Random): RequestCase {
  const pure = ordinal < REQUEST_SEEDS.length;
  const seed = pure ? REQUEST_SEEDS[ordinal] : random.pick(REQUEST_SEEDS);
  if (!seed) throw new Error("no request seeds");
  const followUp = (bytes: Buffer, r: Random): Mutated => {
    const next = r.pick(FOLLOW_UPS);
    return { bytes: Buffer.concat([bytes, Buffer.from(next, "latin1")]), note: `follow with ${JSON.stringify(next.split("\r\n")[0])}` };
  };
  const mutated = mutations(seed.bytes, random, pure, { "follow-up": followUp });
  let bytes = mutated.bytes;
  const notes = [...mutated.notes];
  // Pipelined follow-ups after every kind of first request, also unmutated ones.
  if (random.chance(0.25)) {
    const next = followUp(bytes, random);
    bytes = next.bytes;
    notes.push(next.note);
  }
  return { kind: "request", index, seed: seed.name, mutations: notes, bytes, splits: splitsFor(bytes.length, random) };
}

/** Where to cut the bytes into writes: mostly one write, sometimes a few, sometimes many small ones. */
function splitsFor(length: number, random: Random): number[] {
  const draw = random.next();
  if (draw < 0.55 || length < 2) return [];
  let cuts: number[];
  if (draw < 0.8) cuts = Array.from({ length: random.between(1, 4) }, () => random.between(1, length - 1));
  else if (draw < 0.9) cuts = Array.from({ length: Math.min(48, length - 1) }, (_, i) => i + 1);
  else {
    const pieces = random.between(8, 64);
    cuts = Array.from({ length: pieces - 1 }, (_, i) => Math.floor(((i + 1) * length) / pieces));
  }
  return [...new Set(cuts)].filter((c) => c > 0 && c < length).sort((a, b) => a - b);
}

function responseCase(index: number, ordinal: number, random: Random): ResponseCase {
  const pure = ordinal < RESPONSE_SEEDS.length;
  const seed = pure ? RESPONSE_SEEDS[ordinal] : random.pick(RESPONSE_SEEDS);
  if (!seed) throw new Error("no response seeds");
  const appendPoison = (bytes: Buffer): Mutated => ({
    bytes: Buffer.concat([bytes, Buffer.from(POISON, "latin1")]),
    note: "append a poison response",
  });
  const notes: string[] = [];
  // Mutations land on the first segment, the response itself; later segments stay as written.
  const segments = seed.segments.map((s, i) => {
    const bytes = Buffer.from(s.text, "latin1");
    if (i > 0) return { bytes, delayMs: s.delayMs };
    const mutated = mutations(bytes, random, pure, { poison: appendPoison });
    notes.push(...mutated.notes);
    return { bytes: mutated.bytes, delayMs: s.delayMs };
  });
  const first = seed.first ?? (pure ? "get" : random.pick(Object.keys(FIRST_REQUESTS) as FirstRequest[]));
  return { kind: "response", index, seed: seed.name, mutations: notes, first, segments, close: seed.close };
}
