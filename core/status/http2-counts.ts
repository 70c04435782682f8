import {
  CLOSED,
  type CountedConnection,
  countBusy,
  countClosed,
  countHandOver,
  countResponse,
  countWaiting,
  NOWHERE,
} from "./connection-stats.ts";
import { add, REQUESTS, WRITING } from "./layout.ts";

/**
 * An HTTP/2 connection and its streams in nginx's counts (ngx_http_v2.c). The connection,
 * counted from its accept, waits while none of its streams is being processed
 * (`ngx_http_v2_handle_connection()`'s `ngx_reusable_connection(c, 1)`) and is in no state
 * while one is. Each stream is a request on a fake connection that is not active: counted as a
 * request when its headers come (`ngx_http_alloc_request()`), being answered once they are
 * whole (`ngx_http_process_request()`), and out of its state when it is freed
 * (`ngx_http_free_request()`). The platform hands a stream over with its headers whole, so it
 * starts writing at once. No allocation per stream.
 */
export class Http2Counts implements CountedConnection {
  counted = NOWHERE;
  readonly #words: Float64Array;
  /** Streams being processed. */
  #streams = 0;

  /** Takes over `accepted`, the record that counted the connection from its accept; it waits. */
  constructor(words: Float64Array, accepted: CountedConnection) {
    this.#words = words;
    countHandOver(accepted, this);
    countWaiting(words, this);
  }

  /** A stream's headers came: a request, being answered. */
  streamBegan(): void {
    add(this.#words, REQUESTS);
    add(this.#words, WRITING);
    if (this.#streams++ === 0) countBusy(this.#words, this);
  }

  /**
   * A stream's request ended, `ms` after its headers came, with `status` (sent, or the one it
   * is logged with), or none when it failed before it had one.
   */
  streamEnded(status: number | null, ms: number): void {
    add(this.#words, WRITING, -1);
    if (status !== null) countResponse(this.#words, status, ms);
    if (--this.#streams === 0 && this.counted !== CLOSED) countWaiting(this.#words, this);
  }

  /** The connection closed (its streams still end each on its own). */
  closed(): void {
    countClosed(this.#words, this);
  }
}
