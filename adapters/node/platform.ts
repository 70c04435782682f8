import { nodeCapabilities } from "./capabilities.ts";
import type { ServerPlatform } from "./serve.ts";
import { NodeServer } from "./server.ts";

/** Node as `serve` runs it: node:net and node:tls sockets both ways, Node's spool and files. */
export const nodePlatform: ServerPlatform = {
  capabilities: nodeCapabilities,
  server: (proxy, log, config, sharing, counters) => new NodeServer(proxy, log, config, sharing, counters),
};
