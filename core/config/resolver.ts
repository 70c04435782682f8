import { ConfigError } from "./errors.ts";
import type { ResolverSetting } from "./model.ts";
import type { Directive } from "./parse.ts";
import { parseAddress } from "./upstream.ts";
import { parseFlag, parseTimeSec } from "./values.ts";

/**
 * `resolver ADDRESS... [valid=TIME] [ipv6=on|off]` (`ngx_http_core_resolver()`,
 * `ngx_resolver_create()` of nginx 1.22, which has no `ipv4=`): the servers as `host:port` (53
 * by default). A host name among them is resolved when the config loads, as nginx resolves it
 * (compile.ts).
 */
export function compileResolver(d: Directive): ResolverSetting {
  const servers: string[] = [];
  let validSec: number | null = null;
  let ipv6 = true;
  const fail = (reason: string): never => {
    throw new ConfigError("invalid-value", reason, d.at);
  };
  for (const word of d.args) {
    if (word.startsWith("valid=")) {
      validSec = parseTimeSec(word.slice(6)) ?? fail(`invalid parameter: ${word}`);
    } else if (word.startsWith("ipv6=")) {
      ipv6 = parseFlag(word.slice(5)) ?? fail(`invalid parameter: ${word}`);
    } else {
      const parsed = parseAddress(word, 53);
      if (parsed?.address.kind !== "tcp") fail(`invalid address "${word}" in resolver`);
      const { host, port } = (parsed as { address: { host: string; port: number } }).address;
      servers.push(host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);
    }
  }
  return { at: d.at, servers, validSec, ipv4: true, ipv6 };
}
