import { ANY, type DirectiveSpec, HSL, type Setter, single } from "../directive-spec.ts";
import type { GzipProxied } from "../model.ts";
import type { Directive } from "../parse.ts";
import { compileRegex } from "../regex.ts";
import { arg0, fail, flagSetting } from "../settings.ts";
import { parseNumber, parseSize } from "../values.ts";

/** Where the gzip directives may stand: http, server, location and a location's `if`. */
const CONTEXTS = [...HSL, "lif"] as const;

const PROXIED: readonly GzipProxied[] = ["off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any"];

/**
 * ngx_http_gzip_filter_module, and the core's `gzip_http_version`, `gzip_proxied` and
 * `gzip_disable` that decide whether a client takes gzip (`ngx_http_gzip_ok()`).
 */
export const GZIP_DIRECTIVES = {
  gzip: single(CONTEXTS, 1, 1, flagSetting("gzip")),
  gzip_types: { contexts: HSL, args: [1, ANY], isSingle: false, set: (own, d) => setTypes(own, d) },
  gzip_min_length: single(HSL, 1, 1, (own, d) => {
    own.gzipMinLength = parseSize(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value`);
  }),
  gzip_comp_level: single(HSL, 1, 1, (own, d) => {
    const n = parseNumber(arg0(d)) ?? fail(d, `"${d.name}" directive invalid number`);
    if (n < 1 || n > 9) fail(d, "value must be between 1 and 9");
    own.gzipCompLevel = n;
  }),
  gzip_proxied: { contexts: HSL, args: [1, ANY], set: (own, d, env) => setProxied(own, d, env.warn) },
  gzip_vary: single(HSL, 1, 1, flagSetting("gzipVary")),
  gzip_disable: { contexts: HSL, args: [1, ANY], isSingle: true, set: (own, d) => setDisable(own, d) },
  gzip_http_version: single(HSL, 1, 1, (own, d) => {
    const v = arg0(d);
    if (v !== "1.0" && v !== "1.1") fail(d, `invalid value "${v}"`);
    own.gzipHttpVersion = v as "1.0" | "1.1";
  }),
  // The buffers' number and size shape nginx's memory, not what the client gets.
  gzip_buffers: single(HSL, 2, 2, (_own, d) => {
    const n = parseNumber(d.args[0] as string);
    const size = parseSize(d.args[1] as string);
    if (n === null || n === 0 || size === null || size === 0) fail(d, `"${d.name}" directive invalid value`);
  }),
  gzip_window: single(HSL, 1, 1, (own, d) => {
    own.gzipWindowBits = powerOfTwo(d, 9, 15, "must be 512, 1k, 2k, 4k, 8k, 16k, or 32k");
  }),
  gzip_hash: single(HSL, 1, 1, (own, d) => {
    own.gzipMemLevel = powerOfTwo(d, 9, 17, "must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k") - 8;
  }),
  gzip_postpone_gzipping: single(HSL, 1, 1, () => {}),
} satisfies Record<string, DirectiveSpec>;

/** `gzip_types TYPE ...` (`ngx_http_types_slot`): `*` for any; text/html is always in. Repeats add. */
function setTypes(own: Parameters<Setter>[0], d: Directive): void {
  const prior = own.gzipTypes === "*" ? null : (own.gzipTypes ?? new Set<string>(["text/html"]));
  if (d.args.includes("*") || prior === null) {
    own.gzipTypes = "*";
    return;
  }
  const types = new Set(prior);
  for (const t of d.args) types.add(t.toLowerCase());
  own.gzipTypes = types;
}

/** `gzip_proxied` (`ngx_conf_set_bitmask_slot`): lines add up; a repeated value only warns. */
function setProxied(own: Parameters<Setter>[0], d: Directive, warn: (m: string) => void): void {
  const values = new Set<GzipProxied>(own.gzipProxied ?? []);
  for (const v of d.args) {
    const token = v.toLowerCase() as GzipProxied;
    if (!PROXIED.includes(token)) fail(d, `invalid value "${v}"`);
    if (values.has(token)) warn(`${d.at.file}:${d.at.line}: duplicate value "${v}"`);
    values.add(token);
  }
  own.gzipProxied = values;
}

/** `gzip_disable msie6|REGEX ...` (`ngx_http_gzip_disable()`): regexes read the User-Agent in any case. */
function setDisable(own: Parameters<Setter>[0], d: Directive): void {
  const patterns: RegExp[] = [];
  let msie6 = false;
  for (const v of d.args) {
    if (v === "msie6") msie6 = true;
    else patterns.push(compileRegex(v, true, d.at));
  }
  own.gzipDisable = { msie6, patterns };
}

/** A size that must be 2^min .. 2^max bytes (`gzip_window`, `gzip_hash`): its base-2 logarithm. */
function powerOfTwo(d: Directive, min: number, max: number, reason: string): number {
  const size = parseSize(arg0(d)) ?? fail(d, `"${d.name}" directive invalid value`);
  for (let bits = min; bits <= max; bits++) if (size === 2 ** bits) return bits;
  return fail(d, `"${d.name}" directive ${reason}`);
}
