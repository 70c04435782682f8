/**
 * An incremental decoder for `Transfer-Encoding: chunked` bodies (RFC 9112 §7.1): feed it the
 * bytes as they arrive, get the data slices back; extensions and trailers are dropped, as nginx
 * drops them.
 */
export class ChunkedDecoder {
  #state: "size" | "ext" | "size-lf" | "data" | "data-cr" | "data-lf" | "trailer" | "trailer-line" | "done" = "size";
  #remaining = 0;
  #sizeDigits = 0;

  /** True once the terminating chunk and trailers have been read. */
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
      const c = chunk[i] as number;
      switch (this.#state) {
        case "size": {
          const digit = hexValue(c);
          if (digit >= 0) {
            if (++this.#sizeDigits > 13) throw new Error("chunk size too large");
            this.#remaining = this.#remaining * 16 + digit;
          } else if (this.#sizeDigits > 0 && (c === 0x3b || c === 0x20 || c === 0x09)) {
            this.#state = "ext";
          } else if (this.#sizeDigits > 0 && c === 0x0d) {
            this.#state = "size-lf";
          } else if (this.#sizeDigits > 0 && c === 0x0a) {
            this.#endSize();
          } else {
            throw new Error("invalid chunk size");
          }
          i++;
          break;
        }
        case "ext":
          if (c === 0x0a) this.#endSize();
          i++;
          break;
        case "size-lf":
          if (c !== 0x0a) throw new Error("invalid chunk size line");
          this.#endSize();
          i++;
          break;
        case "data": {
          const n = Math.min(this.#remaining, chunk.length - i);
          data.push(chunk.subarray(i, i + n));
          this.#remaining -= n;
          i += n;
          if (this.#remaining === 0) this.#state = "data-cr";
          break;
        }
        case "data-cr":
          if (c === 0x0d) this.#state = "data-lf";
          else if (c === 0x0a) this.#state = "size";
          else throw new Error("missing CRLF after chunk data");
          i++;
          break;
        case "data-lf":
          if (c !== 0x0a) throw new Error("missing CRLF after chunk data");
          this.#state = "size";
          i++;
          break;
        case "trailer":
          // At the start of a trailer line: an empty line ends the body.
          if (c === 0x0d) {
            i++;
            continue;
          }
          this.#state = c === 0x0a ? "done" : "trailer-line";
          i++;
          break;
        case "trailer-line":
          if (c === 0x0a) this.#state = "trailer";
          i++;
          break;
      }
    }
    return { data, used: i };
  }

  #endSize(): void {
    const last = this.#remaining === 0;
    this.#sizeDigits = 0;
    this.#state = last ? "trailer" : "data";
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
