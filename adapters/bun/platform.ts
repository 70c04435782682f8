import type { ServerPlatform } from "../node/serve.ts";
import { bunCapabilities } from "./capabilities.ts";
import { BunServer } from "./server.ts";

/** Bun as `serve` runs it: Bun.listen and Bun.connect under the core's HTTP/1 server and client. */
export const bunPlatform: ServerPlatform = {
  capabilities: bunCapabilities,
  server: (proxy, log, config, sharing, counters) => new BunServer(proxy, log, config, sharing, counters),
};
