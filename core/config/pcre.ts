/**
 * PCRE2 syntax, as nginx compiles it, read into a JS RegExp that matches the same bytes.
 *
 * Values are bytes, one character each (no `u` flag), as PCRE sees them without UTF. Where the
 * two dialects spell a thing differently it is rewritten: named groups (`(?P<n>...)`,
 * `(?'n'...)`, `(?P=n)`, `\k{n}`, `\g{n}`), `\Q...\E`, inline flags (`(?i)`, `(?s:...)`,
 * `(?x)`, `(?-i)`...), POSIX classes (`[[:alpha:]]`), a `]` first in a class, `\h \v \R \e \a
 * \x{..} \o{..} \A \z \Z \G`. Where they read the same spelling differently it is rewritten too:
 * PCRE's `.` matches `\r` (JS's does not), its `$` also matches before a final newline, its `\s`
 * does not match 0xA0. What JS cannot do at all (atomic groups, possessive quantifiers,
 * recursion, conditionals, `\K`, `\p`, verbs) is refused, and what PCRE itself refuses is an error
 * in PCRE's words.
 */

/** The JS pattern and flags, or why it cannot be one. */
export type Translation =
  | { readonly ok: true; readonly source: string; readonly flags: string }
  | { readonly ok: false; readonly unsupported: boolean; readonly reason: string };

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
  x: boolean;
}

class Refusal extends Error {
  readonly unsupported: boolean;
  readonly reason: string;

  constructor(unsupported: boolean, reason: string) {
    super(reason);
    this.unsupported = unsupported;
    this.reason = reason;
  }
}

const unsupported = (what: string): never => {
  throw new Refusal(true, what);
};
const pcreError = (what: string): never => {
  throw new Refusal(false, what);
};

// The sets PCRE2 means without UTF and UCP: ASCII only, except \h and \v, which include 0xA0 and 0x85.
const SPACE = "\\t\\n\\v\\f\\r ";
const NOT_SPACE = "\\x00-\\x08\\x0e-\\x1f\\x21-\\uffff";
const HSPACE = "\\t \\xa0";
const NOT_HSPACE = "\\x00-\\x08\\x0a-\\x1f\\x21-\\x9f\\xa1-\\uffff";
const VSPACE = "\\n\\v\\f\\r\\x85";
const NOT_VSPACE = "\\x00-\\x09\\x0e-\\x84\\x86-\\uffff";

const POSIX: Readonly<Record<string, string>> = {
  alpha: "a-zA-Z",
  digit: "0-9",
  alnum: "a-zA-Z0-9",
  upper: "A-Z",
  lower: "a-z",
  space: SPACE,
  blank: " \\t",
  punct: "!-\\/:-@\\[-`{-~",
  print: " -~",
  graph: "!-~",
  cntrl: "\\x00-\\x1f\\x7f",
  xdigit: "0-9A-Fa-f",
  word: "\\w",
  ascii: "\\x00-\\x7f",
};

/** Escape letters PCRE2 knows outside a class; any other letter after `\` is its error. */
const KNOWN_ESCAPES = new Set("aAbBcCdDeEfgGhHkKnNopPQrRsStvVwWxXzZ");

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isLetter = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const hex2 = (code: number) => `\\x${code.toString(16).padStart(2, "0")}`;

/** A character for use in JS regex text, escaped where it could mean something. */
function literal(code: number, inClass: boolean): string {
  const c = String.fromCharCode(code);
  if (code < 0x20 || code === 0x7f) return hex2(code);
  if (inClass) return "\\]^-[".includes(c) ? `\\${c}` : c;
  return "\\^$.|?*+()[]{}/".includes(c) ? `\\${c}` : c;
}

/** Translates `pattern`; `caseless` is nginx's `~*` (PCRE2_CASELESS). */
export function translatePcre(pattern: string, caseless: boolean): Translation {
  try {
    return new Translator(pattern, caseless).run();
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, unsupported: error.unsupported, reason: error.reason };
    throw error;
  }
}

class Translator {
  #i = 0;
  #out = "";
  #flags: Flags;
  /** Flags to restore when each open group closes. */
  readonly #groups: Flags[] = [];
  #captures = 0;
  /** The last thing emitted can take a quantifier, and it was one: a following `+` is possessive. */
  #afterQuantifier = false;
  /** Case is folded by JS's `i` flag (the same throughout), or by hand here. */
  readonly #jsCaseless: boolean;

  readonly pattern: string;

  constructor(pattern: string, caseless: boolean) {
    this.pattern = pattern;
    // Any inline change of `i` means letters are folded by hand, where the flag is on.
    const inlineI = /\(\?[imnsxJU^-]*i[imnsxJU-]*[):]|\(\?[imnsxJU^]*-[imnsxJU]*i/.test(pattern) || pattern.includes("(?^");
    this.#jsCaseless = caseless && !inlineI;
    this.#flags = { i: caseless, s: false, m: false, x: false };
  }

  run(): Translation {
    const p = this.pattern;
    if (p.startsWith("(*")) unsupported(`the "(*" start-of-pattern option`);
    while (this.#i < p.length) this.#step();
    if (this.#groups.length > 0) pcreError("missing closing parenthesis");
    return { ok: true, source: this.#out, flags: this.#jsCaseless ? "i" : "" };
  }

  #emit(text: string): void {
    this.#out += text;
    this.#afterQuantifier = false;
  }

  /** A literal character outside a class, folded by hand where `i` is on and JS does not fold. */
  #char(code: number): void {
    const c = String.fromCharCode(code);
    if (this.#flags.i && !this.#jsCaseless && isLetter(c)) this.#emit(`[${c.toLowerCase()}${c.toUpperCase()}]`);
    else this.#emit(literal(code, false));
  }

  #step(): void {
    const p = this.pattern;
    const c = p[this.#i] as string;
    if (this.#flags.x) {
      if (" \t\n\r\f\v".includes(c)) {
        this.#i++;
        return;
      }
      if (c === "#") {
        const nl = p.indexOf("\n", this.#i);
        this.#i = nl < 0 ? p.length : nl + 1;
        return;
      }
    }
    switch (c) {
      case "\\":
        this.#escape();
        return;
      case "[":
        this.#class();
        return;
      case "(":
        this.#open();
        return;
      case ")": {
        this.#i++;
        const saved = this.#groups.pop() ?? pcreError("unmatched closing parenthesis");
        this.#flags = saved;
        this.#emit(")");
        return;
      }
      case ".":
        this.#i++;
        this.#emit(this.#flags.s ? "[^]" : "[^\\n]");
        return;
      case "^":
        this.#i++;
        this.#emit(this.#flags.m ? "(?<![^\\n])" : "^");
        return;
      case "$":
        this.#i++;
        this.#emit(this.#flags.m ? "(?![^\\n])" : "(?=\\n?$)");
        return;
      case "*":
      case "+":
      case "?":
        this.#quantifier(c);
        return;
      case "{": {
        const m = /^\{\d+(?:,\d*)?\}/.exec(p.slice(this.#i));
        if (m) {
          this.#i += m[0].length;
          this.#quantifierTail(m[0]);
          return;
        }
        this.#i++;
        this.#emit("\\{");
        return;
      }
      case "|":
        this.#i++;
        this.#emit("|");
        return;
      default:
        this.#i++;
        this.#char(c.charCodeAt(0));
    }
  }

  #quantifier(q: string): void {
    this.#i++;
    if (this.#afterQuantifier) {
      // `a*?` is lazy in both; `a*+` is possessive, which JS has no form for.
      if (q === "+") unsupported(`the possessive quantifier "${this.pattern.slice(this.#i - 2, this.#i)}"`);
      if (q === "?") {
        this.#out += "?";
        this.#afterQuantifier = false;
        return;
      }
    }
    this.#quantifierTail(q);
  }

  #quantifierTail(q: string): void {
    // `{n,m}+`, `?+`, `*+`: the next character decides whether it is possessive.
    this.#out += q;
    this.#afterQuantifier = true;
  }

  #open(): void {
    const p = this.pattern;
    const rest = p.slice(this.#i);
    if (rest.startsWith("(*")) unsupported(`the verb "${/^\(\*[^)]*\)?/.exec(rest)?.[0]}"`);
    if (!rest.startsWith("(?")) {
      this.#i++;
      this.#captures++;
      this.#push("(");
      return;
    }
    if (rest.startsWith("(?#")) {
      const end = p.indexOf(")", this.#i);
      if (end < 0) pcreError("missing ) after (?# comment");
      this.#i = end + 1;
      return;
    }
    for (const plain of ["(?:", "(?=", "(?!", "(?<=", "(?<!"]) {
      if (rest.startsWith(plain)) {
        this.#i += plain.length;
        this.#push(plain);
        return;
      }
    }
    const named = /^\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(rest);
    if (named) {
      this.#i += named[0].length;
      this.#captures++;
      this.#push(`(?<${named[1] ?? named[2]}>`);
      return;
    }
    const backref = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest);
    if (backref) {
      this.#i += backref[0].length;
      this.#emit(`\\k<${backref[1]}>`);
      return;
    }
    if (rest.startsWith("(?>")) unsupported(`the atomic group "(?>"`);
    if (rest.startsWith("(?|")) unsupported(`the branch reset group "(?|"`);
    if (rest.startsWith("(?(")) unsupported(`the conditional group "(?("`);
    if (/^\(\?(?:R|[+-]?\d+|&\w+|P>\w+)\)/.test(rest)) unsupported(`the recursion "${/^\(\?[^)]*\)/.exec(rest)?.[0]}"`);
    const flags = /^\(\?(\^?)([a-zA-Z]*)(?:-([a-zA-Z]*))?([):])/.exec(rest);
    if (!flags) pcreError("unrecognized character after (? or (?-");
    const [text, caret, on, off, end] = flags as unknown as [string, string, string, string | undefined, string];
    const next: Flags = caret ? { i: false, s: false, m: false, x: false } : { ...this.#flags };
    for (const [letters, value] of [
      [on, true],
      [off ?? "", false],
    ] as const) {
      for (const f of letters) {
        if (f === "i" || f === "s" || f === "m" || f === "x") next[f] = value;
        else if ("nJUX".includes(f)) unsupported(`the inline option "(?${f}"`);
        else pcreError("unrecognized character after (? or (?-");
      }
    }
    this.#i += text.length;
    if (end === ")") {
      // Until the end of the enclosing group.
      this.#flags = next;
      return;
    }
    this.#push("(?:");
    this.#flags = next;
  }

  #push(text: string): void {
    this.#groups.push({ ...this.#flags });
    this.#emit(text);
  }

  /** `\` outside a class. */
  #escape(): void {
    const p = this.pattern;
    const c = p[this.#i + 1];
    if (c === undefined) pcreError("\\ at end of pattern");
    const e = c as string;
    this.#i += 2;
    if (isDigit(e)) {
      const digits = /^\d+/.exec(p.slice(this.#i - 1))?.[0] as string;
      this.#i += digits.length - 1;
      if (e === "0") {
        const oct = /^0[0-7]{0,2}/.exec(digits)?.[0] as string;
        this.#i -= digits.length - oct.length;
        this.#char(Number.parseInt(oct, 8));
        return;
      }
      this.#emit(`\\${digits}`);
      return;
    }
    if (!isLetter(e)) {
      this.#char(e.charCodeAt(0));
      return;
    }
    if (!KNOWN_ESCAPES.has(e)) {
      if ("LlUu".includes(e)) pcreError("PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u");
      pcreError("unrecognized character follows \\");
    }
    switch (e) {
      case "Q": {
        const end = p.indexOf("\\E", this.#i);
        const text = end < 0 ? p.slice(this.#i) : p.slice(this.#i, end);
        this.#i = end < 0 ? p.length : end + 2;
        for (const ch of text) this.#char(ch.charCodeAt(0));
        return;
      }
      case "E":
        return;
      case "A":
      case "G":
        this.#emit("^");
        return;
      case "z":
        this.#emit("$");
        return;
      case "Z":
        this.#emit("(?=\\n?$)");
        return;
      case "s":
        this.#emit(`[${SPACE}]`);
        return;
      case "S":
        this.#emit(`[^${SPACE}]`);
        return;
      case "h":
        this.#emit(`[${HSPACE}]`);
        return;
      case "H":
        this.#emit(`[^${HSPACE}]`);
        return;
      case "v":
        this.#emit(`[${VSPACE}]`);
        return;
      case "V":
        this.#emit(`[^${VSPACE}]`);
        return;
      case "R":
        this.#emit(`(?:\\r\\n|[${VSPACE}])`);
        return;
      case "N":
        if (p[this.#i] === "{") pcreError("PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u");
        this.#emit("[^\\n]");
        return;
      case "C":
        this.#emit("[^]");
        return;
      case "g":
      case "k":
        this.#reference(e);
        return;
      case "K":
      case "X":
      case "p":
      case "P":
        unsupported(`"\\${e}"`);
        return;
      case "b":
      case "B":
      case "d":
      case "D":
      case "w":
      case "W":
        this.#emit(`\\${e}`);
        return;
      default:
        this.#i -= 2;
        this.#char(this.#codeEscape());
    }
  }

  /** `\g` and `\k` references: by number, relative number or name. */
  #reference(e: "g" | "k"): void {
    const rest = this.pattern.slice(this.#i);
    const m = /^(?:\{([+-]?\d+|[A-Za-z_]\w*)\}|<([A-Za-z_]\w*|[+-]?\d+)>|'([A-Za-z_]\w*|[+-]?\d+)'|([+-]?\d+))/.exec(rest);
    if (!m)
      pcreError(e === "g" ? "a numbered reference must not be zero" : "\\k is not followed by a braced, angle-bracketed, or quoted name");
    const [text, braced, angled, quoted, bare] = m as unknown as [string, string?, string?, string?, string?];
    this.#i += text.length;
    if (e === "g" && (angled !== undefined || quoted !== undefined)) unsupported(`the subroutine call "\\g${text}"`);
    const ref = (braced ?? angled ?? quoted ?? bare) as string;
    if (!/^[+-]?\d+$/.test(ref)) {
      this.#emit(`\\k<${ref}>`);
      return;
    }
    let n = Number(ref);
    if (ref.startsWith("-")) n = this.#captures + 1 + n;
    else if (ref.startsWith("+")) unsupported(`the forward reference "\\g${text}"`);
    if (n <= 0) pcreError("a numbered reference must not be zero");
    this.#emit(`(?:\\${n})`);
  }

  /** The character code of an escape that stands for one character (`\x41`, `\t`, `\cA`...). */
  #codeEscape(): number {
    const p = this.pattern;
    const e = p[this.#i + 1] as string;
    this.#i += 2;
    switch (e) {
      case "a":
        return 0x07;
      case "e":
        return 0x1b;
      case "f":
        return 0x0c;
      case "n":
        return 0x0a;
      case "r":
        return 0x0d;
      case "t":
        return 0x09;
      case "b":
        return 0x08;
      case "c": {
        const ch = p[this.#i];
        if (ch === undefined) pcreError("\\c at end of pattern");
        this.#i++;
        const code = (ch as string).toUpperCase().charCodeAt(0);
        if (code > 0x7f) pcreError("\\c must be followed by a printable ASCII character");
        return code ^ 0x40;
      }
      case "x":
      case "o": {
        const braced = p[this.#i] === "{";
        const m = braced
          ? (e === "x" ? /^\{([0-9a-fA-F]+)\}/ : /^\{([0-7]+)\}/).exec(p.slice(this.#i))
          : e === "x"
            ? /^()([0-9a-fA-F]{0,2})/.exec(p.slice(this.#i))
            : null;
        if (!m) pcreError(e === "o" ? "missing opening brace after \\o" : "\\x{ is not followed by hexadecimal digits");
        const [text, inBraces, plain] = m as unknown as [string, string, string?];
        this.#i += text.length;
        const code = Number.parseInt((braced ? inBraces : plain) || "0", e === "x" ? 16 : 8);
        if (code > 0xff) pcreError("character code point value in \\x{} or \\o{} is too large");
        return code;
      }
      default:
        return pcreError("unrecognized character follows \\");
    }
  }

  /** A character class, with POSIX classes and PCRE's shorthands spelled out. */
  #class(): void {
    const p = this.pattern;
    this.#i++;
    let negated = false;
    if (p[this.#i] === "^") {
      negated = true;
      this.#i++;
    }
    const items: ClassItem[] = [];
    for (let first = true; ; first = false) {
      const c = p[this.#i];
      if (c === undefined) pcreError("missing terminating ] for character class");
      if (c === "]" && !first) {
        this.#i++;
        break;
      }
      items.push(...this.#classItems());
    }
    let text = negated ? "[^" : "[";
    /** Letters to add for hand folding: [from, to] code ranges. */
    const ranges: [number, number][] = [];
    for (let k = 0; k < items.length; k++) {
      const item = items[k] as ClassItem;
      if (item.kind === "set") {
        text += item.text;
        if (item.letters) ranges.push([65, 90], [97, 122]);
        continue;
      }
      const dash = items[k + 1];
      const to = items[k + 2];
      if (dash?.kind === "char" && dash.isHyphen && to?.kind === "char") {
        if (to.code < item.code) pcreError("range out of order in character class");
        text += `${literal(item.code, true)}-${literal(to.code, true)}`;
        ranges.push([item.code, to.code]);
        k += 2;
        continue;
      }
      text += literal(item.code, true);
      ranges.push([item.code, item.code]);
    }
    if (this.#flags.i && !this.#jsCaseless) text += foldedLetters(ranges);
    this.#emit(`${text}]`);
  }

  /** The next item of a class: a character, a set, or the characters of `\Q...\E`. */
  #classItems(): ClassItem[] {
    const p = this.pattern;
    const c = p[this.#i] as string;
    if (c === "[") {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(this.#i));
      if (m) {
        const set = POSIX[m[2] as string] ?? pcreError("unknown POSIX class name");
        if (m[1]) unsupported(`the negated POSIX class "${m[0]}"`);
        this.#i += m[0].length;
        return [{ kind: "set", text: set, letters: m[2] === "upper" || m[2] === "lower" }];
      }
    }
    if (c !== "\\") {
      this.#i++;
      return [{ kind: "char", code: c.charCodeAt(0), isHyphen: c === "-" }];
    }
    const e = p[this.#i + 1];
    if (e === undefined) pcreError("\\ at end of pattern");
    if (e === "Q") {
      const end = p.indexOf("\\E", this.#i + 2);
      const quoted = end < 0 ? p.slice(this.#i + 2) : p.slice(this.#i + 2, end);
      this.#i = end < 0 ? p.length : end + 2;
      return [...quoted].map((ch) => ({ kind: "char", code: ch.charCodeAt(0), isHyphen: false }));
    }
    if (e === "E") {
      this.#i += 2;
      return [];
    }
    const set = CLASS_SHORTHANDS[e as string];
    if (set !== undefined) {
      this.#i += 2;
      return [{ kind: "set", text: set, letters: false }];
    }
    if (isDigit(e)) {
      const oct = /^[0-7]{1,3}/.exec(p.slice(this.#i + 1))?.[0] ?? pcreError("unrecognized character follows \\");
      this.#i += 1 + oct.length;
      return [{ kind: "char", code: Number.parseInt(oct, 8), isHyphen: false }];
    }
    if (!isLetter(e as string)) {
      this.#i += 2;
      return [{ kind: "char", code: (e as string).charCodeAt(0), isHyphen: false }];
    }
    if ("pPX".includes(e as string)) unsupported(`"\\${e}"`);
    if ("LlUu".includes(e as string)) pcreError("PCRE2 does not support \\F, \\L, \\l, \\N{name}, \\U, or \\u");
    return [{ kind: "char", code: this.#codeEscape(), isHyphen: false }];
  }
}

type ClassItem =
  | { readonly kind: "char"; readonly code: number; readonly isHyphen: boolean }
  | { readonly kind: "set"; readonly text: string; readonly letters: boolean };

/** Shorthands inside a class, as their members (a class cannot hold a class). */
const CLASS_SHORTHANDS: Readonly<Record<string, string>> = {
  d: "\\d",
  D: "\\D",
  w: "\\w",
  W: "\\W",
  s: SPACE,
  S: NOT_SPACE,
  h: HSPACE,
  H: NOT_HSPACE,
  v: VSPACE,
  V: NOT_VSPACE,
};

/** The other case of every ASCII letter in `ranges`, for a class folded by hand. */
function foldedLetters(ranges: readonly [number, number][]): string {
  let out = "";
  for (const [from, to] of ranges) {
    for (let code = Math.max(from, 65); code <= Math.min(to, 122); code++) {
      const c = String.fromCharCode(code);
      if (!isLetter(c)) continue;
      out += c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    }
  }
  return out;
}
