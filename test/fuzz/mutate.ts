import type { Random } from "./prng.ts";

/**
 * Byte mutations for HTTP/1 messages, aware of where they land: the first line, a header name or
 * value, the start of a line, the lines after the head (chunk lines, bodies), or anywhere. Each
 * returns the new bytes and a note saying what it did, for the report.
 */

/** Where in a message a mutation lands. */
export type Place = "first-line" | "header-name" | "header-value" | "line-start" | "after-head" | "anywhere";

/** Ranges of byte offsets, [start, end), by place. */
type Layout = Record<Place, [number, number][]>;

export interface Mutated {
  readonly bytes: Buffer;
  readonly note: string;
}

/** Bytes that parsers disagree about most. */
const HOSTILE_BYTES = ["\r", "\n", "\0", " ", "\t", "\r\n", ",", ";", ":", "0", "\x0b", "\x0c", "\x7f", "\x80", "\xff", "a", '"', "\r\r\n"];

/** Header lines that change framing, routing or connection handling. */
const HEADER_LINES = [
  "Content-Length: 0",
  "Content-Length: 5",
  "Content-Length: 38",
  "Content-Length: 99999",
  "Transfer-Encoding: chunked",
  "Transfer-Encoding: identity",
  "Transfer-Encoding: chunked, identity",
  "Connection: close",
  "Connection: keep-alive",
  "Connection: Upgrade",
  "Upgrade: websocket",
  "Host: other",
  "Host:",
  "Expect: 100-continue",
  "X-Fold: a",
  " folded",
  "\t",
  "\r",
  "Trailer: X-A",
];

const NUMBER_FORMS = (n: string): string[] => [
  "0",
  "1",
  String(Number(n) + 1),
  String(Math.max(0, Number(n) - 1)),
  `00${n}`,
  `-${n}`,
  `+${n}`,
  ` ${n}`,
  `${n} `,
  `${n},${n}`,
  "18446744073709551616",
  "ffffffff",
];

/** Offsets of a message's lines and regions (lines end at LF; the head ends at the first empty line). */
export function layoutOf(bytes: Buffer): Layout {
  const layout: Layout = {
    "first-line": [],
    "header-name": [],
    "header-value": [],
    "line-start": [],
    "after-head": [],
    anywhere: [[0, bytes.length + 1]],
  };
  let start = 0;
  let inHead = true;
  for (let line = 0; start <= bytes.length; line++) {
    const lf = bytes.indexOf(10, start);
    const end = lf < 0 ? bytes.length : lf + 1;
    const content = lf > start && bytes[lf - 1] === 13 ? lf - 1 : lf < 0 ? bytes.length : lf;
    layout["line-start"].push([start, start + 1]);
    if (!inHead) layout["after-head"].push([start, end]);
    else if (line === 0) layout["first-line"].push([start, content + 1]);
    else if (content === start) {
      inHead = false;
      if (end < bytes.length) layout["after-head"].push([end, bytes.length + 1]);
    } else {
      const colon = bytes.indexOf(58, start);
      const nameEnd = colon >= 0 && colon < content ? colon : content;
      layout["header-name"].push([start, nameEnd + 1]);
      if (nameEnd < content) layout["header-value"].push([nameEnd + 1, content + 1]);
    }
    if (lf < 0 || !inHead) break;
    start = end;
  }
  return layout;
}

function positionIn(layout: Layout, place: Place, random: Random): number {
  const ranges = layout[place].length > 0 ? layout[place] : layout.anywhere;
  const [from, to] = random.pick(ranges);
  return from + random.int(Math.max(1, to - from));
}

/** Line starts (byte offsets) with each line's end, LF included. */
function lines(bytes: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < bytes.length; ) {
    const lf = bytes.indexOf(10, start);
    const end = lf < 0 ? bytes.length : lf + 1;
    out.push([start, end]);
    start = end;
  }
  return out;
}

const splice = (bytes: Buffer, at: number, remove: number, insert: string | Buffer): Buffer =>
  Buffer.concat([bytes.subarray(0, at), typeof insert === "string" ? Buffer.from(insert, "latin1") : insert, bytes.subarray(at + remove)]);

const PLACES: Place[] = ["first-line", "header-name", "header-value", "line-start", "after-head", "anywhere"];
const show = (text: string): string => JSON.stringify(text);

type Mutator = (bytes: Buffer, random: Random, layout: Layout) => Mutated;

const MUTATORS: Record<string, Mutator> = {
  insert: (bytes, random, layout) => {
    const place = random.pick(PLACES);
    const at = positionIn(layout, place, random);
    const text = random.pick(HOSTILE_BYTES);
    return { bytes: splice(bytes, at, 0, text), note: `insert ${show(text)} in ${place} at ${at}` };
  },
  replace: (bytes, random, layout) => {
    const place = random.pick(PLACES);
    const at = Math.min(positionIn(layout, place, random), bytes.length - 1);
    const text = random.pick(HOSTILE_BYTES);
    return { bytes: splice(bytes, at, 1, text), note: `replace byte ${at} (${place}) with ${show(text)}` };
  },
  delete: (bytes, random, layout) => {
    const place = random.pick(PLACES);
    const at = Math.min(positionIn(layout, place, random), bytes.length - 1);
    const count = random.between(1, 3);
    return { bytes: splice(bytes, at, count, ""), note: `delete ${count} at ${at} (${place})` };
  },
  "duplicate-line": (bytes, random) => {
    const [start, end] = random.pick(lines(bytes));
    return { bytes: splice(bytes, end, 0, bytes.subarray(start, end)), note: `duplicate line at ${start}` };
  },
  "delete-line": (bytes, random) => {
    const [start, end] = random.pick(lines(bytes));
    return { bytes: splice(bytes, start, end - start, ""), note: `delete line at ${start}` };
  },
  "swap-lines": (bytes, random) => {
    const all = lines(bytes);
    if (all.length < 2) return { bytes, note: "swap lines (one line)" };
    const i = random.int(all.length - 1);
    const [a, b] = [all[i] as [number, number], all[i + 1] as [number, number]];
    const swapped = Buffer.concat([bytes.subarray(b[0], b[1]), bytes.subarray(a[0], a[1])]);
    return { bytes: splice(bytes, a[0], b[1] - a[0], swapped), note: `swap lines at ${a[0]}` };
  },
  "line-ending": (bytes, random) => {
    const ends = lines(bytes).filter(([, end]) => bytes[end - 1] === 10);
    if (ends.length === 0) return { bytes, note: "line ending (none)" };
    const [start, end] = random.pick(ends);
    const hasCr = end - 2 >= start && bytes[end - 2] === 13;
    const ending = random.pick(["\n", "\r", "\r\r\n", "\n\r", "\r\n\r\n", "\r\n "]);
    return { bytes: splice(bytes, hasCr ? end - 2 : end - 1, hasCr ? 2 : 1, ending), note: `end line at ${start} with ${show(ending)}` };
  },
  "insert-header": (bytes, random) => {
    const all = lines(bytes);
    const [start] = all[random.between(1, Math.max(1, Math.min(all.length - 1, 6)))] ?? [bytes.length];
    const line = random.pick(HEADER_LINES);
    return { bytes: splice(bytes, start, 0, `${line}\r\n`), note: `insert header ${show(line)} at ${start}` };
  },
  number: (bytes, random) => {
    const text = bytes.toString("latin1");
    const runs = [...text.matchAll(/\d+/g)];
    if (runs.length === 0) return { bytes, note: "number (none)" };
    const run = random.pick(runs);
    const form = random.pick(NUMBER_FORMS(run[0]));
    return { bytes: splice(bytes, run.index, run[0].length, form), note: `number ${show(run[0])} at ${run.index} to ${show(form)}` };
  },
  "flip-case": (bytes, random) => {
    const at = random.int(bytes.length);
    const length = random.between(1, 12);
    const out = Buffer.from(bytes);
    for (let i = at; i < Math.min(out.length, at + length); i++) {
      const c = out[i] as number;
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) out[i] = c ^ 0x20;
    }
    return { bytes: out, note: `flip case of ${length} at ${at}` };
  },
  truncate: (bytes, random) => {
    const at = random.between(1, Math.max(1, bytes.length - 1));
    return { bytes: bytes.subarray(0, at), note: `truncate at ${at}` };
  },
  repeat: (bytes, random) => {
    const at = random.int(bytes.length);
    const length = random.between(1, 64);
    return { bytes: splice(bytes, at, 0, bytes.subarray(at, at + length)), note: `repeat ${length} at ${at}` };
  },
  "cr-line": (bytes, random, layout) => {
    const at = positionIn(layout, "line-start", random);
    const line = random.pick(["\r\r\n", "\r\r\r\n", "\r\n", "\r", " \r\n"]);
    return { bytes: splice(bytes, at, 0, line), note: `insert line ${show(line)} at ${at}` };
  },
};

/** Applies one randomly chosen mutation; `extra` adds the caller's own (appending a follow-up, a poison). */
export function mutate(bytes: Buffer, random: Random, extra: Record<string, (bytes: Buffer, random: Random) => Mutated> = {}): Mutated {
  const table: Record<string, Mutator> = { ...MUTATORS, ...extra };
  const name = random.pick(Object.keys(table));
  if (bytes.length === 0) return { bytes, note: `${name} (empty)` };
  return (table[name] as Mutator)(bytes, random, layoutOf(bytes));
}
