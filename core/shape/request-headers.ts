import type { HeaderSetting, Settings } from "../config/model.ts";
import type { BodyFraming, HeaderPairs, RequestHead } from "../exchange.ts";
import { flushSlots } from "../variables/request-variables.ts";
import type { RequestContext } from "./request-context.ts";
import { compileTemplate, evaluateTemplate, type Template } from "./template.ts";

/** One line of the merged `proxy_set_header` list; two take their value from the body. */
type PlanEntry =
  | { readonly kind: "template"; readonly name: string; readonly value: Template }
  | { readonly kind: "content-length" | "transfer-encoding"; readonly name: string };

/** The header block of a location, merged once at load (docs/nginx-semantics.md 5.6). */
export interface HeaderPlan {
  readonly entries: readonly PlanEntry[];
  /** Lower-case names of the merged list: client headers with these names are not forwarded. */
  readonly skip: ReadonlySet<string>;
  readonly passRequestHeaders: boolean;
  /** The volatile variables of all its values: flushed once per request, as nginx does. */
  readonly flushes: readonly number[] | null;
}

const host = compileTemplate("$proxy_host");
const empty = compileTemplate("");

/** nginx 1.22's built-in defaults, appended after the location's own entries, in its order. */
const DEFAULTS: readonly PlanEntry[] = [
  { kind: "template", name: "Host", value: host },
  { kind: "template", name: "Connection", value: compileTemplate("close") },
  { kind: "content-length", name: "Content-Length" },
  { kind: "transfer-encoding", name: "Transfer-Encoding" },
  { kind: "template", name: "TE", value: empty },
  { kind: "template", name: "Keep-Alive", value: empty },
  { kind: "template", name: "Expect", value: empty },
  { kind: "template", name: "Upgrade", value: empty },
];

/** Merges a location's `proxy_set_header` list with the defaults whose names it did not set. */
export function planHeaders(settings: Settings): HeaderPlan {
  const own: PlanEntry[] = settings.proxySetHeaders.map((h: HeaderSetting) => ({ kind: "template", name: h.name, value: h.value }));
  const names = new Set(settings.proxySetHeaders.map((h) => h.lowerName));
  const entries = [...own, ...DEFAULTS.filter((d) => !names.has(d.name.toLowerCase()))];
  const flushes = new Set(settings.proxySetHeaders.flatMap((h) => h.value.flushes ?? []));
  return {
    entries,
    skip: new Set(entries.map((e) => e.name.toLowerCase())),
    passRequestHeaders: settings.proxyPassRequestHeaders,
    flushes: flushes.size > 0 ? [...flushes] : null,
  };
}

/**
 * The upstream header block: the merged list (entries whose value is empty are not sent), then
 * the client's headers in arrival order, case and duplicates kept, except those the list names.
 * The values are one script in nginx (`ngx_http_proxy_create_request()`): a volatile variable
 * read by two of them has one value.
 */
export function buildRequestHeaders(plan: HeaderPlan, ctx: RequestContext, framing: BodyFraming, head: RequestHead): HeaderPairs {
  const out: HeaderPairs = [];
  if (plan.flushes !== null) flushSlots(ctx, plan.flushes);
  for (const e of plan.entries) {
    let value: string;
    if (e.kind === "template") value = evaluateTemplate(e.value, ctx);
    else if (e.kind === "content-length") value = framing.kind === "length" ? String(framing.length) : "";
    else value = framing.kind === "chunked" ? "chunked" : "";
    if (value !== "") out.push([e.name, value]);
  }
  if (plan.passRequestHeaders) {
    for (const pair of head.headers) {
      if (!plan.skip.has(pair[0].toLowerCase())) out.push(pair);
    }
  }
  return out;
}
