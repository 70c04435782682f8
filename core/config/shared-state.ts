import { ConfigError } from "./errors.ts";
import type { SharedState } from "./model.ts";
import type { Directive } from "./parse.ts";

/**
 * `edgeproxy_state redis://[user:password@]host[:port][/db] [prefix=P]` (also `rediss://` for
 * TLS): peer health shared with every edgeproxy server on the same Redis or Valkey. Keys and
 * the channel start with the prefix (default `edgeproxy:`), so several clusters can share one.
 */
export function compileSharedState(d: Directive): SharedState {
  const [url, option] = d.args as [string, string | undefined];
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") || parsed.hostname === "") {
    throw new ConfigError(
      "invalid-value",
      `invalid URL "${url}" in "edgeproxy_state" directive: redis://host:port or rediss://host:port`,
      d.at,
    );
  }
  let prefix = "edgeproxy:";
  if (option !== undefined) {
    if (!option.startsWith("prefix=") || option.length === 7) {
      throw new ConfigError("invalid-value", `invalid parameter "${option}" in "edgeproxy_state" directive`, d.at);
    }
    prefix = option.slice(7);
  }
  return { at: d.at, url, prefix };
}
