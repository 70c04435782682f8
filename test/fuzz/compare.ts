import type { FuzzClientRecord } from "./case-runner.ts";
import type { FuzzCase } from "./cases.ts";
import { type ResponseView, readResponses } from "./client-view.ts";
import { type ClientTag, TOKEN_PATTERN } from "./ledger.ts";
import type { UpstreamEntry } from "./recording-backend.ts";

/**
 * The verdict on one case: nginx's and edgeproxy's observations side by side. Failing means
 * edgeproxy let something through that nginx does not (a request upstream, bytes to the wrong
 * client, an upstream response nginx refuses with 502); differing means any other visible
 * difference, which the summary groups by kind.
 */

/** What one proxy's clients and backend saw during one case. */
export interface ProxyObservation {
  readonly clients: readonly FuzzClientRecord[];
  /** The backend's entries charged to this case, in arrival order. */
  readonly upstream: readonly UpstreamEntry[];
}

export interface Verdict {
  readonly outcome: "identical" | "differing" | "failing";
  /** One line per failed rule, worded as its kind (the summary groups by these). */
  readonly failures: readonly string[];
  /** One line per difference, worded as its kind. */
  readonly differences: readonly string[];
}

/** Who a token was written for (see Ledger.tokenOwner). */
export type TokenOwner = (token: number) => ClientTag | null | undefined;

const PROXY_SIGNATURE = /<hr><center>(nginx\/[\d.]+|edgeproxy)<\/center>/g;
const SIGNED = /<hr><center>(nginx\/[\d.]+|edgeproxy)<\/center>/;
const TAG_VALUE = /(\r\nX-Fuzz-Client: )\d+(\r\n)/i;

/** An upstream entry as compared: its kind and bytes, with the client port each proxy names taken out. */
export function upstreamText(entry: UpstreamEntry): string {
  return entry.bytes.toString("latin1").replace(TAG_VALUE, "$1PORT$2");
}

/**
 * Rule 1: edgeproxy's upstream entries must be a byte-identical prefix of nginx's (stricter is
 * allowed, forwarding anything more is not); an unfinished last entry may be a prefix of nginx's.
 */
export function compareUpstream(
  nginx: readonly UpstreamEntry[],
  edge: readonly UpstreamEntry[],
): { failure?: string; difference?: string } {
  for (let i = 0; i < edge.length; i++) {
    const mine = edge[i] as UpstreamEntry;
    const theirs = nginx[i];
    if (!theirs) return { failure: `upstream: edgeproxy forwarded ${describeEntry(mine)} where nginx forwarded nothing` };
    const [a, b] = [upstreamText(mine), upstreamText(theirs)];
    if (a === b) continue;
    if (mine.kind === "incomplete" && i === edge.length - 1 && b.startsWith(a)) continue;
    return { failure: `upstream: edgeproxy forwarded ${describeEntry(mine)} that differs from nginx's ${describeEntry(theirs)}` };
  }
  if (edge.length < nginx.length) return { difference: `upstream: edgeproxy forwarded ${edge.length} of nginx's ${nginx.length}` };
  return {};
}

function describeEntry(entry: UpstreamEntry): string {
  return entry.kind === "request" ? "a request" : entry.kind === "unparsed" ? "bytes that are no request" : "an unfinished request";
}

/** Tokens in `bytes` that were not written for this client, described. */
export function foreignTokens(bytes: Buffer, mine: ClientTag, owner: TokenOwner): string[] {
  const out: string[] = [];
  for (const match of bytes.toString("latin1").matchAll(TOKEN_PATTERN)) {
    const who = owner(Number(match[1]));
    if (who === undefined) continue; // Never issued: the template's own placeholder mutated into digits, or a coincidence.
    if (isOwn(who, mine)) continue;
    out.push(
      who === null
        ? "an answer no client was named for"
        : who.caseIndex === mine.caseIndex
          ? `this case's ${who.role} client`
          : `another case's ${who.role} client`,
    );
  }
  return [...new Set(out)];
}

const isOwn = (who: ClientTag | null | undefined, mine: ClientTag): boolean =>
  !!who && who.proxy === mine.proxy && who.caseIndex === mine.caseIndex && who.role === mine.role;

function carriesOwnToken(bytes: Buffer, mine: ClientTag, owner: TokenOwner): boolean {
  return [...bytes.toString("latin1").matchAll(TOKEN_PATTERN)].some((m) => isOwn(owner(Number(m[1])), mine));
}

/** The proxy's own answer: an interim response, a signed page, or an empty error (a HEAD's). */
function isProxyPage(r: ResponseView): boolean {
  return (r.status >= 100 && r.status < 200) || SIGNED.test(r.body.toString("latin1")) || (r.status >= 300 && r.body.length === 0);
}

/**
 * What a client got that is neither an answer written for it (every backend answer carries a token
 * for the client the proxy named) nor the proxy's own page: bytes of somebody else's exchange,
 * even a fragment too short to hold a token.
 */
export function unownedResponses(record: FuzzClientRecord, owner: TokenOwner): string[] {
  const view = readResponses(record.received);
  const out: string[] = [];
  for (const r of view.responses) {
    if (!isProxyPage(r) && !carriesOwnToken(Buffer.concat([r.head, r.body]), record.tag, owner)) out.push(`a ${r.status || "?"} response`);
  }
  const rest = view.other.toString("latin1");
  if (rest.length > 0 && !SIGNED.test(rest) && !carriesOwnToken(view.other, record.tag, owner)) out.push("bytes that are no response");
  return out;
}

/** A response whose framing headers a client or a cache could read two ways. */
export function ambiguousFraming(record: FuzzClientRecord): string | undefined {
  for (const r of readResponses(record.received).responses) {
    const lengths = r.headers.filter(([n]) => n === "content-length").map(([, v]) => v);
    const codings = r.headers.filter(([n]) => n === "transfer-encoding");
    if (new Set(lengths).size > 1) return "two different Content-Lengths";
    if (lengths.length > 0 && codings.length > 0) return "Content-Length with Transfer-Encoding";
    if (codings.length > 1) return "two Transfer-Encodings";
  }
  return undefined;
}

/**
 * A response whose Content-Length promised more than the proxy sent, on a connection it kept
 * open, where nginx sent the same status whole: the client would take the start of its next
 * response as the rest of this body.
 */
export function shortOfItsLength(mine: FuzzClientRecord, theirs: FuzzClientRecord): number | undefined {
  if (mine.closedByProxy) return undefined;
  const [a, b] = [readResponses(mine.received).responses, readResponses(theirs.received).responses];
  // An empty body is how the answer to a HEAD looks, Content-Length and all: only a body cut short counts.
  const i = a.findIndex(
    (r, at) =>
      !r.complete && r.body.length > 0 && r.headers.some(([n]) => n === "content-length") && b[at]?.complete && b[at]?.status === r.status,
  );
  return i < 0 ? undefined : (a[i] as ResponseView).status;
}

/** A client's responses as compared: status lines, bodies with tokens and signatures made neutral, leftovers, close. */
export function clientSummary(record: FuzzClientRecord, owner: TokenOwner): { statuses: string; full: string } {
  const view = readResponses(record.received);
  const neutral = (bytes: Buffer) =>
    bytes
      .toString("latin1")
      .replace(PROXY_SIGNATURE, "<hr><center>SIGNATURE</center>")
      .replace(TOKEN_PATTERN, (_, n: string) => {
        const who = owner(Number(n));
        return who ? `<token of ${who.caseIndex === record.tag.caseIndex ? who.role : "another case"}>` : "<token>";
      });
  const statuses = [...view.responses.map((r) => `${r.status || "?"}${r.complete ? "" : "…"}`), ...(view.other.length > 0 ? ["raw"] : [])];
  const close = record.closedByProxy ? "closed" : "open";
  const full = JSON.stringify({
    responses: view.responses.map((r) => [r.statusLine, neutral(r.body), r.complete]),
    other: neutral(view.other),
    close,
  });
  return { statuses: `[${statuses.join(" ")}] ${close}`, full };
}

const GENERATED_ERRORS = new Set([500, 502, 503, 504]);

/** Rule 3: nginx refused the upstream's answer with its own 502, and edgeproxy passed some of it on. */
function relayedRefused(c: FuzzCase, nginx: FuzzClientRecord | undefined, edge: FuzzClientRecord | undefined, owner: TokenOwner): boolean {
  if (c.kind !== "response" || !nginx || !edge) return false;
  const theirs = readResponses(nginx.received).responses[0];
  if (theirs?.status !== 502 || foreignOrOwn(nginx.received, owner)) return false;
  const mine = readResponses(edge.received);
  return mine.other.length > 0 || mine.responses.some((r) => !GENERATED_ERRORS.has(r.status)) || foreignOrOwn(edge.received, owner);
}

function foreignOrOwn(bytes: Buffer, owner: TokenOwner): boolean {
  return [...bytes.toString("latin1").matchAll(TOKEN_PATTERN)].some((m) => owner(Number(m[1])) !== undefined);
}

/** Compares one case's observations under nginx and edgeproxy. */
export function compareCase(c: FuzzCase, nginx: ProxyObservation, edge: ProxyObservation, owner: TokenOwner): Verdict {
  const failures: string[] = [];
  const differences: string[] = [];
  const upstream = compareUpstream(nginx.upstream, edge.upstream);
  if (upstream.failure) failures.push(upstream.failure);
  if (upstream.difference) differences.push(upstream.difference);
  for (const record of edge.clients) {
    for (const whose of foreignTokens(record.received, record.tag, owner))
      failures.push(`leak: edgeproxy's ${record.tag.role} client received bytes meant for ${whose}`);
    // The first client of a response case owns the scripted answer, tokens or not.
    if (record.tag.role === "first") continue;
    for (const what of unownedResponses(record, owner))
      failures.push(`leak: edgeproxy's ${record.tag.role} client received ${what} written for nobody it asked`);
  }
  for (const record of nginx.clients) {
    for (const whose of foreignTokens(record.received, record.tag, owner))
      differences.push(`nginx's ${record.tag.role} client received bytes meant for ${whose}`);
    if (record.tag.role === "first") continue;
    for (const what of unownedResponses(record, owner))
      differences.push(`nginx's ${record.tag.role} client received ${what} written for nobody it asked`);
  }
  const roles = [...new Set([...nginx.clients, ...edge.clients].map((r) => r.tag.role))];
  for (const role of roles) {
    const theirs = nginx.clients.find((r) => r.tag.role === role);
    const mine = edge.clients.find((r) => r.tag.role === role);
    if (role === "first" && relayedRefused(c, theirs, mine, owner))
      failures.push("relay: edgeproxy relayed an upstream response that nginx refused with 502");
    if (!theirs || !mine) continue;
    const framing = ambiguousFraming(mine);
    if (framing && !ambiguousFraming(theirs)) failures.push(`frame: edgeproxy sent its ${role} client a response with ${framing}`);
    const short = shortOfItsLength(mine, theirs);
    if (short !== undefined)
      failures.push(`frame: edgeproxy sent its ${role} client a ${short} shorter than its Content-Length and kept the connection open`);
    const [a, b] = [clientSummary(theirs, owner), clientSummary(mine, owner)];
    if (a.statuses !== b.statuses) differences.push(`${role}: nginx ${a.statuses} / edgeproxy ${b.statuses}`);
    else if (a.full !== b.full) differences.push(`${role}: same statuses ${a.statuses}, different bytes`);
  }
  const outcome = failures.length > 0 ? "failing" : differences.length > 0 ? "differing" : "identical";
  return { outcome, failures, differences };
}
