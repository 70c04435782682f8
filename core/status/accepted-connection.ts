import { type CountedConnection, countAccepted, countBusy, countClosed, countWaiting, NOWHERE } from "./connection-stats.ts";

/**
 * A client connection counted from its accept until a protocol server takes it over
 * (`countHandOver`): one to an `ssl` or `http2` address, whose protocol its first bytes or its
 * handshake decide. As nginx counts it: accepted, handled and active at the accept
 * (`ngx_event_accept()`), waiting for its first bytes (`ngx_http_init_connection()`), in no
 * state while it shakes hands (`ngx_http_ssl_handshake()`), and a handshake that fails or times
 * out closes it.
 */
export class AcceptedConnection implements CountedConnection {
  counted = NOWHERE;
  readonly #words: Float64Array;

  /** Counts the accept in `words` (this thread's server words). */
  constructor(words: Float64Array) {
    this.#words = words;
    countAccepted(words, true);
    countWaiting(words, this);
  }

  /** A TLS handshake began with the first bytes. */
  handshaking(): void {
    countBusy(this.#words, this);
  }

  /** The connection closed; nothing when a protocol server took it over (it counts the close). */
  closed(): void {
    countClosed(this.#words, this);
  }
}
