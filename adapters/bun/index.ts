/**
 * `bun run adapters/bun -c FILE`: edgeproxy on Bun's own server (not its node:http layer) and
 * native sockets. Config loading, the command line and the spool are the Node adapter's: Bun
 * runs Node's file and DNS APIs as they are.
 */
import { type Capabilities, type Config, createProxy, Http1Transport, type Logger, MemoryFailureState } from "../../core/index.ts";
import { FileAccessLog } from "../node/access-log.ts";
import { type Running, runCommandLine, runUntilSignalled, type Started, shutdownGraceMs } from "../node/command-line.ts";
import { errorLogger } from "../node/logger.ts";
import { FileSpool } from "../node/spool.ts";
import { bunDialer } from "./dialer.ts";
import { BunServer, type ServeLimits } from "./server.ts";

/** Serves a config with Bun.serve, upstreams through the core's HTTP/1 client on Bun.connect. */
async function startBun(config: Config, log: Logger): Promise<Running> {
  // One set of capabilities for the process: a reload keeps peer health and cached connections.
  const transport = new Http1Transport(bunDialer);
  const caps: Capabilities = {
    transport,
    failures: new MemoryFailureState(),
    // Node's spool, blocking file I/O as nginx's; Bun.gc(false) asks for a collection every 16 MiB.
    spool: new FileSpool(() => Bun.gc(false)),
    clock: { now: () => Date.now() },
    log,
    openLog: errorLogger,
    accessLog: new FileAccessLog(),
  };
  let current = config;
  let proxy = createProxy(config, caps);
  const server = new BunServer(() => proxy, log);
  server.listen(config.listens, serveLimits(config));
  return {
    reload: async (next) => {
      const replacement = createProxy(next, caps);
      server.update(next.listens, serveLimits(next));
      proxy = replacement;
      current = next;
    },
    stop: async () => {
      await server.close(shutdownGraceMs(current));
      transport.close();
    },
  };
}

/** The client limits Bun.serve applies itself. */
function serveLimits(config: Config): ServeLimits {
  return {
    maxBodyBytes: largestBodyLimit(config),
    idleTimeoutSec: Math.min(255, Math.max(1, Math.ceil(config.keepaliveTimeoutMs / 1000))),
    closeAfterEach: config.keepaliveTimeoutMs === 0,
  };
}

/** The largest `client_max_body_size` anywhere (0 = unlimited), so Bun never refuses first. */
function largestBodyLimit(config: Config): number {
  let max = 0;
  const visit = (limit: number) => {
    max = limit === 0 || max === Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.max(max, limit);
  };
  for (const server of config.servers) {
    visit(server.settings.clientMaxBodySize);
    const walk = (locations: Config["servers"][number]["locations"]) => {
      for (const l of locations) {
        visit(l.settings.clientMaxBodySize);
        walk(l.children);
      }
    };
    walk(server.locations);
  }
  return max || Number.MAX_SAFE_INTEGER;
}

/** Starts edgeproxy on Bun with command-line arguments; resolves once listening. */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("bun run adapters/bun", argv, startBun);
}

if (import.meta.main) await runUntilSignalled(await main(process.argv.slice(2)));
