import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ChunkedDecoder } from "../../../core/http1/chunked.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (parts: Uint8Array[]) => parts.map((p) => String.fromCharCode(...p)).join("");

function decodeAll(input: Uint8Array, cuts: number[]): { data: string; used: number; done: boolean } {
  const d = new ChunkedDecoder();
  const out: Uint8Array[] = [];
  let used = 0;
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < input.length).sort((a, b) => a - b), input.length]) {
    const piece = input.subarray(at, cut);
    const r = d.feed(piece);
    out.push(...r.data);
    used += r.used;
    at = cut;
    if (d.isDone) break;
  }
  return { data: text(out), used, done: d.isDone };
}

describe("ChunkedDecoder", () => {
  test("drops extensions and trailers and stops at the end of the body", () => {
    const input = bytes("5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\nNEXT");
    expect(decodeAll(input, [])).toEqual({ data: "helloabc", used: input.length - 4, done: true });
  });

  test("decodes the same however the bytes are split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 }), {
          maxLength: 5,
        }),
        fc.array(fc.nat(200)),
        (chunks, cuts) => {
          const encoded = bytes(`${chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join("")}0\r\n\r\n`);
          expect(decodeAll(encoded, cuts)).toEqual({ data: chunks.join(""), used: encoded.length, done: true });
        },
      ),
    );
  });

  test.each(["zz\r\n", "5\r\nhelloXX", "\r\n"])("refuses the malformed body %j", (input) => {
    expect(() => decodeAll(bytes(input), [])).toThrow();
  });
});
