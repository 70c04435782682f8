/**
 * Where each count lives among a thread's counter words (status/counters.ts): plain numbers in
 * a Float64Array, so that counting on the request path is one increment of an indexed word
 * and a count stays exact up to 2^53.
 */

// nginx's connection and request counts (`ngx_stat_*`, ngx_event.c), as stub_status shows them.
export const ACCEPTED = 0;
export const HANDLED = 1;
export const ACTIVE = 2;
export const REQUESTS = 3;
export const READING = 4;
export const WRITING = 5;
export const WAITING = 6;
/** Responses by status class: 1xx at `RESPONSES`, 2xx one word later, up to 5xx. */
export const RESPONSES = 7;
/** The histogram of request durations, from the head read to the last byte sent. */
export const REQUEST_TIME = 12;

/** Upper bounds of the histogram buckets in ms: Prometheus's default buckets (5 ms to 10 s), then +Inf. */
export const BUCKET_BOUNDS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/** A histogram's words: one count per bucket (+Inf last, not cumulative), then the sum of the values in ms, then their count. */
export const HISTOGRAM_WORDS = BUCKET_BOUNDS_MS.length + 3;
const SUM = BUCKET_BOUNDS_MS.length + 1;
const COUNT = BUCKET_BOUNDS_MS.length + 2;

/** Words of the whole server, per thread. */
export const SERVER_WORDS = REQUEST_TIME + HISTOGRAM_WORDS;

// One upstream peer's counts, as the nginx Plus API names them (`/http/upstreams`).
/** Attempts sent to the peer. */
export const PEER_REQUESTS = 0;
/** Attempts in flight now. */
export const PEER_ACTIVE = 1;
/** Attempts that failed (`proxy_next_upstream`'s failures: error, timeout, invalid_header, a retried 5xx). */
export const PEER_FAILS = 2;
/** Times the peer became unavailable by `max_fails` (nginx's "upstream server temporarily disabled"). */
export const PEER_UNAVAIL = 3;
/** When the peer was last chosen, in ms since the epoch (the latest of the threads', not a sum). */
export const PEER_SELECTED = 4;
/** The peer's responses by status class: 1xx at `PEER_RESPONSES`, up to 5xx. */
export const PEER_RESPONSES = 5;
/** The sum of the times to the response head, in ms, and how many heads came. */
export const PEER_HEADER_TIME = 10;
export const PEER_HEADERS = 11;
/** The histogram of response times: from the attempt's start to the last byte relayed. */
export const PEER_RESPONSE_TIME = 12;

/** Words of one peer, per thread. */
export const PEER_WORDS = PEER_RESPONSE_TIME + HISTOGRAM_WORDS;

/** Adds `n` to one word (typed arrays index as `number | undefined` here; the word always exists). */
export function add(words: Float64Array, word: number, n = 1): void {
  words[word] = (words[word] as number) + n;
}

/** Counts `ms` in the histogram at `base`. */
export function observe(words: Float64Array, base: number, ms: number): void {
  let bucket = 0;
  while (bucket < BUCKET_BOUNDS_MS.length && ms > (BUCKET_BOUNDS_MS[bucket] as number)) bucket++;
  add(words, base + bucket);
  add(words, base + SUM, ms);
  add(words, base + COUNT);
}

/** A histogram read back: bucket counts (not cumulative, +Inf last), the sum in ms, the count. */
export interface Histogram {
  readonly buckets: readonly number[];
  readonly sumMs: number;
  readonly count: number;
}

/** The histogram at `base` of words summed over threads. */
export function histogramAt(words: Float64Array, base: number): Histogram {
  return {
    buckets: Array.from(words.subarray(base, base + BUCKET_BOUNDS_MS.length + 1)),
    sumMs: words[base + SUM] as number,
    count: words[base + COUNT] as number,
  };
}

/** The index of a status's class among the five response words (1xx is 0); other statuses count as 5xx. */
export function statusClass(status: number): number {
  const c = Math.floor(status / 100) - 1;
  return c >= 0 && c <= 4 ? c : 4;
}
