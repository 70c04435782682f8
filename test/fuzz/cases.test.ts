import { describe, expect, test } from "vitest";
import { buildCase, isResponseCase } from "./cases.ts";
import { REQUEST_SEEDS } from "./request-corpus.ts";
import { RESPONSE_SEEDS } from "./response-corpus.ts";

describe("buildCase", () => {
  test("rebuilds the same case from the same seed and index, and another from another seed", () => {
    for (const index of [0, 3, 250, 999, 12_345]) expect(buildCase(42, index)).toEqual(buildCase(42, index));
    const bytes = (seed: number) =>
      Array.from({ length: 20 }, (_, i) => buildCase(seed, 1000 + i)).map((c) => (c.kind === "request" ? c.bytes : c.segments[0]?.bytes));
    expect(bytes(1)).not.toEqual(bytes(2));
  });

  test("sends every seed unmutated in the first pass over its corpus", () => {
    const cases = Array.from({ length: 4 * (REQUEST_SEEDS.length + RESPONSE_SEEDS.length) }, (_, i) => buildCase(7, i));
    const pure = new Set(cases.filter((c) => c.mutations.every((m) => m.startsWith("follow with"))).map((c) => c.seed));
    for (const seed of [...REQUEST_SEEDS, ...RESPONSE_SEEDS]) expect(pure).toContain(seed.name);
  });

  test("makes every fourth case a response case", () => {
    expect([0, 1, 2, 3, 4, 7].map(isResponseCase)).toEqual([false, false, false, true, false, true]);
  });
});
