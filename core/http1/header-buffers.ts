/** `client_header_buffer_size` and `large_client_header_buffers N SIZE`, in bytes. */
export interface HeaderBufferSizes {
  /** The first buffer of a request: 1k by default. */
  readonly client: number;
  /** One large buffer: a request line or header line must fit in one. 8k by default. */
  readonly large: number;
  /** Large buffers one request may use: 4 by default. */
  readonly count: number;
}

export const DEFAULT_HEADER_BUFFERS: HeaderBufferSizes = { client: 1024, large: 8192, count: 4 };

/**
 * Where nginx's header buffers end, in stream offsets, so that a head is refused exactly where
 * nginx refuses it whatever the read sizes (`ngx_http_alloc_large_header_buffer()`): a request
 * starts in a `client`-sized buffer; when the parser reaches a buffer's end inside a line, the
 * line so far moves to a new large buffer (refused if it already fills one); at a line boundary
 * the next large buffer starts there; a request may hold `count` large buffers at once. A
 * pipelined request continues in the buffer that holds its first bytes, as nginx's does.
 */
export class HeaderBuffers {
  readonly #sizes: HeaderBufferSizes;
  /** Stream offset just past the current buffer. */
  #end = 0;
  #capacity = 0;
  #isLarge = false;
  #busy = 0;

  constructor(sizes: HeaderBufferSizes) {
    this.#sizes = sizes;
  }

  /** Stream offset just past the current buffer: bytes from here on need another one. */
  get end(): number {
    return this.#end;
  }

  /** A request whose first byte, at `start`, arrives into a fresh buffer. */
  fresh(start: number): void {
    this.#end = start + this.#sizes.client;
    this.#capacity = this.#sizes.client;
    this.#isLarge = false;
    this.#busy = 0;
  }

  /**
   * A request whose first byte, at `start`, was read along with the previous request: it stays
   * in that buffer if it started inside it (nginx keeps that buffer busy for it).
   */
  pipelined(start: number): void {
    if (start >= this.#end) this.fresh(start);
    else this.#busy = this.#isLarge ? 1 : 0;
  }

  /**
   * The parser reached the buffer's end with the head unfinished. `lineStart` is where the
   * current line began (`this.end` at a line boundary); `isBlank` is true while only the empty
   * lines before a request line were read (nginx then reuses the buffer). False when nginx
   * declines: the line already fills a large buffer, or none is left.
   */
  grow(lineStart: number, isBlank: boolean): boolean {
    if (isBlank) {
      this.#end += this.#capacity;
      return true;
    }
    const large = this.#sizes.large;
    if (lineStart < this.#end && this.#end - lineStart >= large) return false;
    if (this.#busy >= this.#sizes.count) return false;
    this.#busy++;
    this.#isLarge = true;
    this.#capacity = large;
    this.#end = Math.min(lineStart, this.#end) + large;
    return true;
  }
}
