import ipaddr from "ipaddr.js";

/**
 * A client address as nginx's access and realip modules compare it (`struct sockaddr`): an
 * IPv4 address as one number, an IPv6 one as its sixteen bytes, or a unix-socket client.
 */
export type Address =
  | { readonly family: 4; readonly value: number }
  | { readonly family: 6; readonly bytes: Uint8Array }
  | { readonly family: "unix" };

/** An address with the port it came with (`ngx_parse_addr_port()`); 0 without one. */
export interface AddressPort {
  readonly address: Address;
  readonly port: number;
}

const UNIX: Address = { family: "unix" };

/**
 * A dotted quad as nginx's `ngx_inet_addr()` reads one: exactly four decimal parts of at most
 * 255 (leading zeros allowed), nothing else; null otherwise. Written by hand: it runs for
 * every request an access rule or a limit zone sees.
 */
export function parseIPv4(text: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + c - 48;
      if (octet > 255) return null;
      digits++;
      continue;
    }
    if (c !== 46 || digits === 0 || dots === 3) return null;
    value = value * 256 + octet;
    octet = 0;
    digits = 0;
    dots++;
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/** An IPv6 address as `ngx_inet6_addr()` reads one (a dotted tail allowed, no zone): its bytes, or null. */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.includes("%") || !ipaddr.IPv6.isValid(text)) return null;
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}

/**
 * An address from text, as `ngx_parse_addr()` reads it: a dotted quad or an IPv6 address;
 * `unix:` is a unix-socket client (how adapters name one). Null for anything else.
 */
export function parseAddress(text: string): Address | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  if (text === "unix:") return UNIX;
  const bytes = text.includes(":") ? parseIPv6(text) : null;
  return bytes ? { family: 6, bytes } : null;
}

/**
 * `ngx_parse_addr_port()`: an address, or `a.b.c.d:PORT`, `[v6]:PORT` with a port of 1-65535;
 * null when it reads as none of them.
 */
export function parseAddressPort(text: string): AddressPort | null {
  const plain = parseAddress(text);
  if (plain && plain.family !== "unix") return { address: plain, port: 0 };
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || close === text.length - 1 || text[close + 1] !== ":") return null;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.indexOf(":");
    if (colon < 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65535) return null;
  const address = parseAddress(host);
  if (!address || address.family === "unix") return null;
  return { address, port };
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`), which nginx's access and
 * realip modules compare with IPv4 rules; null for any other address.
 */
export function mappedIPv4(address: Address): number | null {
  if (address.family !== 6) return null;
  const b = address.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  if (b[10] !== 0xff || b[11] !== 0xff) return null;
  return (((b[12] as number) << 24) >>> 0) + ((b[13] as number) << 16) + ((b[14] as number) << 8) + (b[15] as number);
}

/** An address as nginx writes it in `$remote_addr` (`ngx_sock_ntop()` without a port). */
export function formatAddress(address: Address): string {
  if (address.family === "unix") return "unix:";
  if (address.family === 4) return formatIPv4(address.value);
  return formatIPv6(address.bytes);
}

function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * `ngx_inet6_ntop()`: lower-case hex words, the first longest run of two or more zero words as
 * `::`, and a dotted tail for IPv4-mapped (`::ffff:1.2.3.4`) and IPv4-compatible addresses.
 */
function formatIPv6(b: Uint8Array): string {
  const word = (i: number) => (b[i] as number) * 256 + (b[i + 1] as number);
  let zero = -1;
  let longest = 1;
  let runStart = -1;
  let run = 0;
  for (let i = 0; i < 16; i += 2) {
    if (word(i) !== 0) {
      if (run > longest) [zero, longest] = [runStart, run];
      run = 0;
      continue;
    }
    if (run++ === 0) runStart = i;
  }
  if (run > longest) [zero, longest] = [runStart, run];
  const dotted =
    zero === 0 && ((longest === 5 && b[10] === 0xff && b[11] === 0xff) || longest === 6 || (longest === 7 && b[14] !== 0 && b[15] !== 1));
  const end = dotted ? 12 : 16;
  let out = zero === 0 ? ":" : "";
  for (let i = 0; i < end; i += 2) {
    if (i === zero) {
      out += ":";
      i += (longest - 1) * 2;
      continue;
    }
    out += word(i).toString(16);
    if (i < 14) out += ":";
  }
  if (dotted) out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return out;
}
