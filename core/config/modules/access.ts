import { addRule } from "../../access/access-rules.ts";
import { type Cidr, parseCidr } from "../../access/cidr.ts";
import { type Context, type DirectiveSpec, list, type Setter, single } from "../directive-spec.ts";
import type { Directive } from "../parse.ts";
import { arg0, fail } from "../settings.ts";

/** Where `allow` and `deny` may stand: `NGX_HTTP_MAIN_CONF|SRV|LOC|LMT`. */
const CONTEXTS: readonly Context[] = ["http", "server", "location", "limit_except"];

/** ngx_http_access_module (`allow`, `deny`) and the core's `satisfy`. */
export const ACCESS_DIRECTIVES = {
  allow: list(CONTEXTS, 1, 1, (own, d, env) => rule(own, d, env.warn, false)),
  deny: list(CONTEXTS, 1, 1, (own, d, env) => rule(own, d, env.warn, true)),
  satisfy: single(["http", "server", "location"], 1, 1, (own, d) => {
    // ngx_conf_set_enum_slot: the keyword in any case.
    const value = arg0(d).toLowerCase();
    if (value !== "all" && value !== "any") fail(d, `invalid value "${arg0(d)}"`);
    own.satisfy = value as "all" | "any";
  }),
} satisfies Record<string, DirectiveSpec>;

/** `allow|deny ADDRESS|CIDR|unix:|all` (`ngx_http_access_rule()`); lines add up in order. */
function rule(own: Parameters<Setter>[0], d: Directive, warn: (m: string) => void, deny: boolean): void {
  const text = arg0(d);
  let cidr: Cidr;
  if (text === "all") cidr = { family: "all" };
  else if (text === "unix:") cidr = { family: "unix" };
  else {
    const parsed = parseCidr(text) ?? fail(d, `invalid parameter "${text}"`);
    if (parsed.hasLowBits) warn(`${d.at.file}:${d.at.line}: low address bits of ${text} are meaningless`);
    cidr = parsed.cidr;
  }
  own.access = addRule(own.access ?? undefined, { deny, cidr });
}
