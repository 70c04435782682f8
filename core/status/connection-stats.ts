import {
  ACCEPTED,
  ACTIVE,
  add,
  HANDLED,
  observe,
  READING,
  REQUEST_TIME,
  REQUESTS,
  RESPONSES,
  statusClass,
  WAITING,
  WRITING,
} from "./layout.ts";

/**
 * Where a client connection is counted: one of the state words (`READING`, `WRITING`,
 * `WAITING`), `NOWHERE` before and between, `CLOSED` once it left the active ones.
 */
export interface CountedConnection {
  counted: number;
}

/** Not in a state word. */
export const NOWHERE = -1;
/** Closed and no longer active, or counted by another record since (`countHandOver`). */
export const CLOSED = -2;

/**
 * A connection accepted (`ngx_event_accept()`): accepted, then handled and active unless it is
 * turned away at once (no descriptor to spare, the server stopping).
 */
export function countAccepted(words: Float64Array, isHandled: boolean): void {
  add(words, ACCEPTED);
  if (!isHandled) return;
  add(words, HANDLED);
  add(words, ACTIVE);
}

/** The connection waits for a request's first byte (`ngx_reusable_connection(c, 1)`). */
export function countWaiting(words: Float64Array, c: CountedConnection): void {
  move(words, c, WAITING);
}

/** A request begins with its first byte (`ngx_http_create_request()`): counted, and reading its head. */
export function countRequest(words: Float64Array, c: CountedConnection): void {
  add(words, REQUESTS);
  move(words, c, READING);
}

/** The request's head is read: it is being answered (`ngx_http_process_request()`) until it ends. */
export function countWriting(words: Float64Array, c: CountedConnection): void {
  move(words, c, WRITING);
}

/**
 * The connection is busy with no request: a TLS handshake, an HTTP/2 connection whose streams
 * are being processed. It is in no state (`ngx_reusable_connection(c, 0)`).
 */
export function countBusy(words: Float64Array, c: CountedConnection): void {
  if (c.counted === CLOSED) return;
  if (c.counted >= 0) add(words, c.counted, -1);
  c.counted = NOWHERE;
}

/**
 * `to` counts the connection from here, in the state `from` had (a protocol server taking over
 * a connection counted from its accept); closing `from` then counts nothing.
 */
export function countHandOver(from: CountedConnection, to: CountedConnection): void {
  to.counted = from.counted;
  from.counted = CLOSED;
}

function move(words: Float64Array, c: CountedConnection, state: number): void {
  if (c.counted >= 0) add(words, c.counted, -1);
  add(words, state);
  c.counted = state;
}

/** The connection closes: out of its state and of the active ones (`ngx_http_close_connection()`), once. */
export function countClosed(words: Float64Array, c: CountedConnection): void {
  if (c.counted === CLOSED) return;
  if (c.counted >= 0) add(words, c.counted, -1);
  add(words, ACTIVE, -1);
  c.counted = CLOSED;
}

/**
 * A request on a platform that owns the client connections (Workers, a Hono app), which the
 * proxy never sees: counted as a connection of its own with one request, being answered from
 * the start (the platform read its head). `countResponse` and `countClosed` end it.
 */
export function countPlatformRequest(words: Float64Array): CountedConnection {
  countAccepted(words, true);
  const c: CountedConnection = { counted: NOWHERE };
  countRequest(words, c);
  countWriting(words, c);
  return c;
}

/** A response done (or a request closed without one, by the status it is logged with): its class and how long it took. */
export function countResponse(words: Float64Array, status: number, ms: number): void {
  add(words, RESPONSES + statusClass(status));
  observe(words, REQUEST_TIME, ms);
}
