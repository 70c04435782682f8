import { type Address, type AddressPort, parseAddressPort } from "./address.ts";
import { type Cidr, inCidr } from "./cidr.ts";

/** What a trusted proxy's header says: nothing usable (`declined`), or the client's address and port. */
export type Forwarded = { readonly kind: "declined" } | { readonly kind: "found"; readonly client: AddressPort };

const DECLINED: Forwarded = { kind: "declined" };

/**
 * The client address a chain of trusted proxies names (`ngx_http_get_forwarded_addr()`,
 * nginx 1.22): while the address at hand is trusted, take the rightmost address of the header
 * line, from the last line up; without `recursive`, one step of the last line only. An entry
 * that is not an address ends the walk with what was found so far.
 */
export function forwardedAddress(peer: Address, lines: readonly string[], trusted: readonly Cidr[], recursive: boolean): Forwarded {
  let at: AddressPort = { address: peer, port: 0 };
  let found = false;
  for (let i = lines.length - 1; i >= 0; i--) {
    const step = walkLine(at, lines[i] as string, trusted, recursive);
    if (step.kind === "found") at = step.client;
    if (!recursive) return step.kind === "declined" ? DECLINED : { kind: "found", client: at };
    if (step.kind === "declined") return found ? { kind: "found", client: at } : DECLINED;
    found = true;
    if (!step.whole) break;
  }
  return found ? { kind: "found", client: at } : DECLINED;
}

type Step = { readonly kind: "declined" } | { readonly kind: "found"; readonly client: AddressPort; readonly whole: boolean };

/**
 * One header line, right to left (`ngx_http_get_forwarded_addr_internal()`): `whole` when every
 * entry of it was taken, so that the walk may go on to the line above.
 */
function walkLine(start: AddressPort, value: string, trusted: readonly Cidr[], recursive: boolean): Step {
  let at = start;
  let found = false;
  let end = value.length;
  for (;;) {
    if (!isTrusted(at.address, trusted)) return found ? { kind: "found", client: at, whole: false } : { kind: "declined" };
    // The last entry: trailing separators dropped (never the first byte), then back to a separator.
    let p = end - 1;
    while (p > 0 && isSeparator(value.charCodeAt(p))) {
      p--;
      end--;
    }
    while (p > 0) {
      if (isSeparator(value.charCodeAt(p))) {
        p++;
        break;
      }
      p--;
    }
    const parsed = parseAddressPort(value.slice(Math.max(p, 0), end));
    if (!parsed) return found ? { kind: "found", client: at, whole: false } : { kind: "declined" };
    at = parsed;
    found = true;
    end = p - 1;
    if (!recursive || p <= 0) return { kind: "found", client: at, whole: p <= 0 };
  }
}

function isTrusted(address: Address, trusted: readonly Cidr[]): boolean {
  for (const cidr of trusted) if (inCidr(address, cidr)) return true;
  return false;
}

/** Space and comma separate the entries of a forwarded list. */
function isSeparator(c: number): boolean {
  return c === 32 || c === 44;
}
