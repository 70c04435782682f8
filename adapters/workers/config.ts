import { type Config, ConfigError, type ConfigSource, compileConfigSync, type Logger, parseConfig } from "../../core/index.ts";

/**
 * The bundled nginx config for the edge, compiled once per isolate. What Workers cannot do is
 * refused here with the line that asks for it: unix-socket upstreams, and `include` (only one
 * file ships in the bundle).
 */
export function loadEdgeConfig(text: string, name: string, log: Logger): Config {
  const source: ConfigSource = {
    read: (path) => {
      if (path === name) return text;
      throw new Error("include is not available on Workers: only the one config file is bundled, inline the included file");
    },
    glob: () => {
      throw new Error("include is not available on Workers: only the one config file is bundled, inline the included files");
    },
  };
  const config = compileConfigSync(parseConfig(name, source), (m) => log.warn(m));
  for (const upstream of config.upstreams) {
    for (const server of upstream.servers) {
      const a = server.address;
      if (a.kind === "unix") {
        throw new ConfigError("unsupported", `unix sockets are not available on Cloudflare Workers in "server ${server.text}"`, server.at);
      }
      if (/^[\d.]+$|:/.test(a.host)) {
        log.warn(
          `${server.at.file}:${server.at.line}: upstream "${server.text}" is an IP address: Cloudflare's fetch refuses bare IPs in production (loopback works in local dev); use a host name`,
        );
      }
    }
  }
  return config;
}
