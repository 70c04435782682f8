import { type Address, mappedIPv4, parseIPv4, parseIPv6 } from "./address.ts";

/**
 * A network as `allow`, `deny` and `set_real_ip_from` take it (`ngx_cidr_t`): an IPv4 or IPv6
 * address and mask, every unix-socket client (`unix:`), or every client (`all`).
 */
export type Cidr =
  | { readonly family: 4; readonly addr: number; readonly mask: number }
  | { readonly family: 6; readonly addr: Uint8Array; readonly mask: Uint8Array }
  | { readonly family: "unix" }
  | { readonly family: "all" };

/** A parsed network, and whether the address had bits below its mask (nginx warns, then drops them). */
export interface ParsedCidr {
  readonly cidr: Cidr;
  readonly hasLowBits: boolean;
}

/** `ADDRESS[/BITS]` as `ngx_ptocidr()` reads it; null where nginx says `invalid parameter`. */
export function parseCidr(text: string): ParsedCidr | null {
  const slash = text.indexOf("/");
  const host = slash < 0 ? text : text.slice(0, slash);
  const bitsText = slash < 0 ? null : text.slice(slash + 1);
  if (bitsText !== null && !/^\d+$/.test(bitsText)) return null;
  const bits = bitsText === null ? null : Number(bitsText);
  const v4 = parseIPv4(host);
  if (v4 !== null) {
    if (bits !== null && bits > 32) return null;
    const mask = bits === null ? 0xffffffff : bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const addr = (v4 & mask) >>> 0;
    return { cidr: { family: 4, addr, mask }, hasLowBits: addr !== v4 };
  }
  const v6 = parseIPv6(host);
  if (!v6 || (bits !== null && bits > 128)) return null;
  const mask = new Uint8Array(16);
  for (let i = 0, left = bits ?? 128; i < 16; i++, left -= 8) mask[i] = left >= 8 ? 0xff : left <= 0 ? 0 : (0xff << (8 - left)) & 0xff;
  const addr = v6.map((b, i) => b & (mask[i] as number));
  return { cidr: { family: 6, addr, mask }, hasLowBits: addr.some((b, i) => b !== v6[i]) };
}

/**
 * Whether `address` is inside the network, as `ngx_cidr_match()` and the access module compare:
 * an IPv4-mapped IPv6 client is compared with IPv4 networks, unix clients with `unix:`.
 */
export function inCidr(address: Address, cidr: Cidr): boolean {
  if (cidr.family === "all") return true;
  if (address.family === "unix" || cidr.family === "unix") return address.family === cidr.family;
  if (cidr.family === 4) {
    const v4 = address.family === 4 ? address.value : mappedIPv4(address);
    return v4 !== null && (v4 & cidr.mask) >>> 0 === cidr.addr;
  }
  if (address.family !== 6 || mappedIPv4(address) !== null) return false;
  for (let i = 0; i < 16; i++) if (((address.bytes[i] as number) & (cidr.mask[i] as number)) !== cidr.addr[i]) return false;
  return true;
}
