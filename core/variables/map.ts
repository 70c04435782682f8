import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate, type Template } from "../shape/template.ts";
import { recordMatch } from "./request-variables.ts";

/** A `~` / `~*` key of a map, tried in the order written. */
export interface MapRegex {
  readonly regex: RegExp;
  /** Its named groups and the slots of the variables they set. */
  readonly named: readonly (readonly [group: string, slot: number])[];
  readonly value: Template;
}

/** A `*.example.com` or `.example.com` key of a `hostnames` map. */
export interface HeadWildcard {
  readonly value: Template;
  /** `.example.com` also matches `example.com` itself; `*.example.com` only names below it. */
  readonly matchesBase: boolean;
}

/**
 * One `map` block as lookup tables (ngx_http_map_module), built once at load. Keys are stored
 * lower-case, as nginx's map hash stores them.
 */
export interface MapTable {
  /** The string the map reads (`map STRING $var`). */
  readonly source: Template;
  /** `hostnames`: wildcard keys, and a trailing dot of the value ignored. */
  readonly hostnames: boolean;
  /** `volatile`: the value is not kept for the rest of the request. */
  readonly isVolatile: boolean;
  readonly exact: ReadonlyMap<string, Template>;
  /** `*.example.com` and `.example.com`, by `example.com`. */
  readonly head: ReadonlyMap<string, HeadWildcard>;
  /** `www.example.*`, by `www.example`. */
  readonly tail: ReadonlyMap<string, Template>;
  readonly regexes: readonly MapRegex[];
  /** `default`; none means the empty string. */
  readonly defaultValue: Template | null;
}

/** The map's value for this request (`ngx_http_map_variable()`). */
export function evaluateMap(map: MapTable, ctx: RequestContext, slotCount: number): string {
  let subject = renderTemplate(map.source, ctx);
  if (map.hostnames && subject.endsWith(".")) subject = subject.slice(0, -1);
  const value = findMapValue(map, subject, ctx, slotCount) ?? map.defaultValue;
  return value === null ? "" : renderTemplate(value, ctx);
}

/**
 * `ngx_http_map_find()`: the exact key, then the longest `*.`/`.` wildcard, then the longest
 * `.*` one (`ngx_hash_find_combined()`), compared in lower case; then, for a non-empty value
 * only, the regexes in order, on the value as it is. A matching regex becomes the request's
 * captures. Null when nothing matches.
 */
export function findMapValue(map: MapTable, subject: string, ctx: RequestContext, slotCount: number): Template | null {
  const key = asciiLowerCase(subject);
  const exact = map.exact.get(key);
  if (exact) return exact;
  if (key === "") return null;
  const wildcard = (map.head.size > 0 ? findHead(map.head, key) : null) ?? (map.tail.size > 0 ? findTail(map.tail, key) : null);
  if (wildcard) return wildcard;
  for (const entry of map.regexes) {
    const match = entry.regex.exec(subject);
    if (match === null) continue;
    recordMatch(ctx, match, entry.named, slotCount);
    return entry.value;
  }
  return null;
}

/** The longest `*.`/`.` key that covers the name (`ngx_hash_find_wc_head()`). */
function findHead(head: ReadonlyMap<string, HeadWildcard>, name: string): Template | null {
  const whole = head.get(name);
  if (whole?.matchesBase) return whole.value;
  for (let dot = name.indexOf("."); dot >= 0; dot = name.indexOf(".", dot + 1)) {
    const found = head.get(name.slice(dot + 1));
    if (found) return found.value;
  }
  return null;
}

/** The longest `.*` key whose labels begin the name (`ngx_hash_find_wc_tail()`). */
function findTail(tail: ReadonlyMap<string, Template>, name: string): Template | null {
  for (let dot = name.lastIndexOf("."); dot > 0; dot = name.lastIndexOf(".", dot - 1)) {
    const found = tail.get(name.slice(0, dot));
    if (found) return found;
  }
  return null;
}

/** Lower case for ASCII letters only, as nginx's `ngx_tolower()`: other bytes stay as they are. */
export function asciiLowerCase(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for bytes above ASCII.
  if (!/[^\x00-\x7f]/.test(text)) return text.toLowerCase();
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}
