import { textResponse } from "../forward/status-page.ts";
import type { Outcome } from "../phases/outcome.ts";
import type { StatusCounters } from "./counters.ts";
import { ACCEPTED, ACTIVE, HANDLED, READING, REQUESTS, WAITING, WRITING } from "./layout.ts";

/**
 * `stub_status` (`ngx_http_stub_status_handler()`): GET and HEAD get the process's counts as
 * nginx words them, byte for byte, as `text/plain` whatever `default_type` says; other methods
 * 405. The request's body is drained by the server, as nginx discards it.
 */
export function stubStatus(method: string, counters: StatusCounters): Outcome {
  if (method !== "GET" && method !== "HEAD") return { kind: "status", status: 405 };
  return { kind: "response", response: textResponse(200, stubStatusText(counters.serverTotals()), "text/plain") };
}

/** The page: three lines of counts, each number followed by a space, as nginx prints them. */
export function stubStatusText(totals: Float64Array): string {
  const n = (word: number) => String(totals[word] as number);
  return (
    `Active connections: ${n(ACTIVE)} \n` +
    "server accepts handled requests\n" +
    ` ${n(ACCEPTED)} ${n(HANDLED)} ${n(REQUESTS)} \n` +
    `Reading: ${n(READING)} Writing: ${n(WRITING)} Waiting: ${n(WAITING)} \n`
  );
}
