type State =
  | "start"
  | "size"
  | "ext"
  | "ext-lf"
  | "data"
  | "data-cr"
  | "data-lf"
  | "last-ext"
  | "last-ext-lf"
  | "trailer"
  | "trailer-lf"
  | "trailer-line"
  | "trailer-line-lf"
  | "done";

/** Above this a size could not be read exactly: nginx's `NGX_MAX_OFF_T_VALUE / 16` check, at 2^53. */
const MAX_SIZE_BEFORE_DIGIT = 2 ** 49;

/**
 * An incremental decoder for `Transfer-Encoding: chunked` bodies (RFC 9112 §7.1), as current
 * nginx reads them (`ngx_http_parse_chunked()`): every line ends in CR LF (nginx 1.22 also took
 * a bare LF; 1.29.4 stopped, and a parser that agrees with no one on line ends is how bodies get
 * smuggled), a CR must be followed by its LF inside extensions and trailers too; extensions and
 * trailers are dropped. Feed it the bytes as they arrive, get the data slices back.
 */
export class ChunkedDecoder {
  #state: State = "start";
  #remaining = 0;

  /** True once the last chunk and its trailers have been read. */
  get isDone(): boolean {
    return this.#state === "done";
  }

  /**
   * Decodes `chunk`; returns the data slices and how many input bytes were used (bytes after
   * the end of the body are left unused). Throws on a malformed body.
   */
  feed(chunk: Uint8Array): { data: Uint8Array[]; used: number } {
    const data: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length && this.#state !== "done") {
      if (this.#state === "data") {
        const n = Math.min(this.#remaining, chunk.length - i);
        data.push(chunk.subarray(i, i + n));
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) this.#state = "data-cr";
        continue;
      }
      this.#step(chunk[i] as number);
      i++;
    }
    return { data, used: i };
  }

  #step(c: number): void {
    switch (this.#state) {
      case "start":
        this.#remaining = hexValue(c);
        if (this.#remaining < 0) invalid("invalid chunk size");
        this.#state = "size";
        return;
      case "size": {
        const digit = hexValue(c);
        if (digit >= 0) {
          if (this.#remaining > MAX_SIZE_BEFORE_DIGIT) invalid("chunk size too large");
          this.#remaining = this.#remaining * 16 + digit;
          return;
        }
        const last = this.#remaining === 0;
        if (c === 0x0d) this.#state = last ? "last-ext-lf" : "ext-lf";
        else if (c === 0x3b || c === 0x20 || c === 0x09) this.#state = last ? "last-ext" : "ext";
        else invalid("invalid chunk size");
        return;
      }
      case "ext":
      case "last-ext":
        if (c === 0x0d) this.#state = this.#state === "ext" ? "ext-lf" : "last-ext-lf";
        else if (c === 0x0a) invalid("bare LF in chunk extension");
        return;
      case "ext-lf":
        expectLf(c);
        this.#state = "data";
        return;
      case "data-cr":
        if (c !== 0x0d) invalid("missing CRLF after chunk data");
        this.#state = "data-lf";
        return;
      case "data-lf":
        expectLf(c);
        this.#state = "start";
        return;
      case "last-ext-lf":
        expectLf(c);
        this.#state = "trailer";
        return;
      case "trailer":
        if (c === 0x0d) this.#state = "trailer-lf";
        else if (c === 0x0a) invalid("bare LF in trailer");
        else this.#state = "trailer-line";
        return;
      case "trailer-lf":
        expectLf(c);
        this.#state = "done";
        return;
      case "trailer-line":
        if (c === 0x0d) this.#state = "trailer-line-lf";
        else if (c === 0x0a) invalid("bare LF in trailer");
        return;
      case "trailer-line-lf":
        expectLf(c);
        this.#state = "trailer";
        return;
      case "data":
      case "done":
        return;
    }
  }
}

function expectLf(c: number): void {
  if (c !== 0x0a) invalid("CR without LF");
}

function invalid(reason: string): never {
  throw new Error(reason);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}
