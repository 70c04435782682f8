import { ConfigError } from "./errors.ts";

/** How an nginx statement ended: `;`, `{`, a lone `}`, or the end of the file. */
export type StatementEnd = "semicolon" | "block-start" | "block-end" | "eof";

/** One statement as nginx's `ngx_conf_read_token()` returns it: words, then its terminator. */
export interface RawStatement {
  readonly words: string[];
  readonly end: StatementEnd;
  /** The line of the terminator: nginx reports errors there. */
  readonly line: number;
}

const MAX_WORD_BYTES = 4096;

const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";

/**
 * Splits nginx configuration text into statements, byte for byte as nginx does
 * (docs/nginx-semantics.md 1.1): quotes, backslash escapes, comments, `${var}` inside words.
 */
export class Lexer {
  readonly #text: string;
  readonly #file: string;
  #pos = 0;
  #line = 1;

  constructor(text: string, file: string) {
    this.#text = text;
    this.#file = file;
  }

  /** Reads the next statement; `eof` once the text is used up. */
  next(): RawStatement {
    const words: string[] = [];
    const text = this.#text;
    let needSpace = false;
    for (;;) {
      if (this.#pos >= text.length) {
        if (words.length > 0 || needSpace) {
          this.#fail('unexpected end of file, expecting ";" or "}"');
        }
        return { words, end: "eof", line: this.#line };
      }
      const c = text[this.#pos] as string;
      if (needSpace) {
        // After a quoted word nginx insists on a separator (docs 1.1, "After a quoted word").
        if (isSpace(c)) {
          needSpace = false;
        } else if (c === ";") {
          this.#pos++;
          return { words, end: "semicolon", line: this.#line };
        } else if (c === "{") {
          this.#pos++;
          return { words, end: "block-start", line: this.#line };
        } else if (c === ")") {
          // `if ($a = "b")`: the ")" is a separator and begins the next word (ngx_conf_read_token()).
          needSpace = false;
        } else {
          this.#fail(`unexpected "${c}"`);
        }
      }
      if (isSpace(c)) {
        if (c === "\n") this.#line++;
        this.#pos++;
        continue;
      }
      switch (c) {
        case ";":
        case "{":
          this.#pos++;
          if (words.length === 0) this.#fail(`unexpected "${c}"`);
          return { words, end: c === ";" ? "semicolon" : "block-start", line: this.#line };
        case "}":
          this.#pos++;
          if (words.length > 0) this.#fail('unexpected "}"');
          return { words, end: "block-end", line: this.#line };
        case "#":
          while (this.#pos < text.length && text[this.#pos] !== "\n") this.#pos++;
          continue;
        case '"':
        case "'":
          words.push(this.#readQuoted(c));
          needSpace = true;
          continue;
        default:
          words.push(this.#readBare());
      }
    }
  }

  #readQuoted(quote: string): string {
    const text = this.#text;
    const start = ++this.#pos;
    for (;;) {
      if (this.#pos >= text.length) this.#fail('unexpected end of file, expecting ";" or "}"');
      const c = text[this.#pos] as string;
      if (c === "\\") {
        if (text[this.#pos + 1] === "\n") this.#line++;
        this.#pos += 2;
        continue;
      }
      if (c === "\n") this.#line++;
      if (c === quote) break;
      this.#pos++;
    }
    const raw = text.slice(start, this.#pos);
    this.#pos++;
    return this.#unescape(raw);
  }

  #readBare(): string {
    const text = this.#text;
    const start = this.#pos;
    let afterDollar = false;
    while (this.#pos < text.length) {
      const c = text[this.#pos] as string;
      if (c === "\\") {
        if (text[this.#pos + 1] === "\n") this.#line++;
        this.#pos += 2;
        afterDollar = false;
        continue;
      }
      // `${name}` keeps its brace inside the word; any other `{` ends it.
      if (isSpace(c) || c === ";" || (c === "{" && !afterDollar)) break;
      afterDollar = c === "$";
      this.#pos++;
    }
    return this.#unescape(text.slice(start, Math.min(this.#pos, text.length)));
  }

  #unescape(raw: string): string {
    if (raw.length > MAX_WORD_BYTES) this.#fail("too long parameter");
    if (!raw.includes("\\")) return raw;
    let out = "";
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c !== "\\" || i + 1 >= raw.length) {
        out += c;
        continue;
      }
      const n = raw[++i] as string;
      if (n === '"' || n === "'" || n === "\\") out += n;
      else if (n === "t") out += "\t";
      else if (n === "r") out += "\r";
      else if (n === "n") out += "\n";
      else out += c + n;
    }
    return out;
  }

  #fail(reason: string): never {
    throw new ConfigError("syntax", reason, { file: this.#file, line: this.#line });
  }
}
