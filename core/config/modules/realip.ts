import type { Cidr } from "../../access/cidr.ts";
import { parseCidr } from "../../access/cidr.ts";
import { type DirectiveSpec, HSL, list, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import { arg0, fail, flagSetting } from "../settings.ts";

/** ngx_http_realip_module: which peers are trusted to name the client, and where they name it. */
export const REALIP_DIRECTIVES = {
  set_real_ip_from: list(HSL, 1, 1, (own, d, env) => {
    const text = arg0(d);
    let cidr: Cidr;
    if (text === "unix:") cidr = { family: "unix" };
    else {
      const parsed = parseCidr(text);
      if (!parsed) {
        // What is no network nginx resolves as a host name, once, at load; edgeproxy does not.
        if (/^[A-Za-z0-9.-]+$/.test(text) && /[A-Za-z]/.test(text)) {
          throw new ConfigError("unsupported", `a host name in "set_real_ip_from" is not supported by edgeproxy: "${text}"`, d.at);
        }
        fail(d, `host not found in set_real_ip_from "${text}"`);
      }
      if (parsed.hasLowBits) env.warn(`${d.at.file}:${d.at.line}: low address bits of ${text} are meaningless`);
      cidr = parsed.cidr;
    }
    own.realIpFrom = [...(own.realIpFrom ?? []), cidr];
  }),
  real_ip_header: single(HSL, 1, 1, (own, d) => {
    const name = arg0(d);
    if (name === "proxy_protocol") {
      throw new ConfigError(
        "unsupported",
        `"real_ip_header proxy_protocol" is not supported by edgeproxy: listen takes no proxy_protocol`,
        d.at,
      );
    }
    // ngx_http_realip(): the two known names are matched exactly, any other is a header name.
    if (name === "X-Real-IP") own.realIpHeader = { kind: "x-real-ip" };
    else if (name === "X-Forwarded-For") own.realIpHeader = { kind: "x-forwarded-for" };
    else own.realIpHeader = { kind: "header", lowerName: name.toLowerCase() };
  }),
  real_ip_recursive: single(HSL, 1, 1, flagSetting("realIpRecursive")),
} satisfies Record<string, DirectiveSpec>;
