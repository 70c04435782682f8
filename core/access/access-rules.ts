import { type Address, mappedIPv4 } from "./address.ts";
import type { Cidr } from "./cidr.ts";

/** One `allow` or `deny` line, as it applies to one address family. */
export interface AccessRule {
  readonly deny: boolean;
  readonly cidr: Cidr;
}

/**
 * A block's `allow` and `deny` lines (ngx_http_access_module), kept per address family as nginx
 * keeps them: IPv4 clients read the IPv4 rules, IPv6 clients the IPv6 ones, unix-socket
 * clients the `unix:` ones; `all` stands in each list. null for a family with no rule at all.
 */
export interface AccessRules {
  readonly v4: readonly AccessRule[] | null;
  readonly v6: readonly AccessRule[] | null;
  readonly unix: readonly AccessRule[] | null;
}

/** The rules with one more line at their end. */
export function addRule(rules: AccessRules | undefined, rule: AccessRule): AccessRules {
  const add = (list: readonly AccessRule[] | null | undefined) => [...(list ?? []), rule];
  const { v4 = null, v6 = null, unix = null } = rules ?? {};
  const family = rule.cidr.family;
  return {
    v4: family === 4 || family === "all" ? add(v4) : v4,
    v6: family === 6 || family === "all" ? add(v6) : v6,
    unix: family === "unix" || family === "all" ? add(unix) : unix,
  };
}

/**
 * What the first rule matching the client says (`ngx_http_access_handler()`): `deny`, `allow`,
 * or `none` when no rule of its family matches. An IPv4-mapped IPv6 client is read as IPv4
 * when there are IPv4 rules.
 */
export function checkAccess(rules: AccessRules, address: Address): "allow" | "deny" | "none" {
  if (address.family === "unix") return rules.unix?.[0] ? verdict(rules.unix[0]) : "none";
  const v4 = address.family === 4 ? address.value : rules.v4 ? mappedIPv4(address) : null;
  if (v4 !== null) {
    for (const rule of rules.v4 ?? []) {
      const c = rule.cidr;
      if (c.family === "all" || (c.family === 4 && (v4 & c.mask) >>> 0 === c.addr)) return verdict(rule);
    }
    return "none";
  }
  if (address.family !== 6) return "none";
  for (const rule of rules.v6 ?? []) {
    const c = rule.cidr;
    if (c.family === "all" || (c.family === 6 && matches6(address.bytes, c.addr, c.mask))) return verdict(rule);
  }
  return "none";
}

function verdict(rule: AccessRule): "allow" | "deny" {
  return rule.deny ? "deny" : "allow";
}

function matches6(bytes: Uint8Array, addr: Uint8Array, mask: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (((bytes[i] as number) & (mask[i] as number)) !== addr[i]) return false;
  return true;
}
