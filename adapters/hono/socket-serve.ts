import type { Context } from "hono";
import {
  type Capabilities,
  type Config,
  type ConnectionEnds,
  compileConfig,
  compileConfigSync,
  createProxy,
  type EdgeProxy,
  fetchConnection,
  type Logger,
  parseConfigText,
} from "../../core/index.ts";
import type { FileAccessLog } from "../node/access-log.ts";
import { openConfigFiles } from "../node/config-files.ts";
import { resolveHost } from "../node/load-config.ts";
import { configuredLogger } from "../node/logger.ts";
import { asNginxConf, type EdgeproxyOptions, type ProxyConfig, type Serve, type Served } from "./middleware.ts";

/** A runtime's capabilities for a logger (nodeCapabilities, bunCapabilities). */
export type MakeCapabilities = (log: Logger) => Capabilities & { accessLog: FileAccessLog };

/**
 * Serving inside Hono on a runtime with sockets (Node, Bun): the core's HTTP/1 client upstream
 * on the runtime's dialer, so upstreams see nginx's bytes as behind the command line; the
 * spool and log files of the Node adapter. Config text is parsed and checked at once (a bad
 * file throws here, with its line); host names resolve in the background, once, as nginx
 * resolves them at load, and the first requests wait for that.
 */
export function socketServe(capabilities: MakeCapabilities, ends: (c: Context) => ConnectionEnds): Serve {
  return (input: ProxyConfig, options: EdgeproxyOptions): Served => {
    const routing = typeof input === "string" ? compileText(input, options) : { config: input, tree: null };
    const log = options.log ?? configuredLogger(routing.config);
    const caps = capabilities(log);
    openConfigFiles(routing.config, caps.accessLog);
    let proxy: EdgeProxy | null = routing.tree ? null : createProxy(routing.config, caps);
    const ready = routing.tree
      ? compileConfig(routing.tree, { resolveHost }).then((config) => {
          proxy = createProxy(config, caps);
          return proxy;
        })
      : Promise.resolve(proxy as EdgeProxy);
    // A host that does not resolve is nginx's `host not found` at load: said now, and each request fails with it.
    ready.catch((error: Error) => log.error(error.message));
    return {
      config: routing.config,
      answer: async (c) => (proxy ?? (await ready)).fetch(c.req.raw, fetchConnection(c.req.raw, ends(c))),
    };
  };
}

/** nginx text, parsed and compiled without name resolution: throws a ConfigError with the line. */
function compileText(text: string, options: EdgeproxyOptions): { config: Config; tree: ReturnType<typeof parseConfigText> } {
  const name = options.configName ?? "edgeproxy.conf";
  const tree = parseConfigText(asNginxConf(text, name), name);
  const warn = (m: string) => (options.log ?? console).warn(m);
  return { config: compileConfigSync(tree, warn), tree };
}
