/**
 * `bun run adapters/bun -c FILE`: edgeproxy on Bun's native sockets (Bun.listen, Bun.connect)
 * under the core's HTTP/1 server and client. Config loading, the command line and the spool are the Node adapter's: Bun
 * runs Node's file and DNS APIs as they are.
 */
import { type Capabilities, type Config, createProxy, Http1Transport, type Logger, MemoryFailureState } from "../../core/index.ts";
import { FileAccessLog } from "../node/access-log.ts";
import { type Running, runCommandLine, runUntilSignalled, type Started, shutdownGraceMs } from "../node/command-line.ts";
import { errorLogger } from "../node/logger.ts";
import { FileSpool } from "../node/spool.ts";
import { bunDialer } from "./dialer.ts";
import { BunServer } from "./server.ts";

/** Serves a config with the core's HTTP/1 server on Bun.listen, upstreams through its client on Bun.connect. */
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
  const server = new BunServer(() => proxy, log, config);
  server.listen(config.listens);
  return {
    reload: async (next) => {
      const replacement = createProxy(next, caps);
      server.update(next.listens, next);
      proxy = replacement;
      current = next;
    },
    stop: async () => {
      await server.close(shutdownGraceMs(current));
      transport.close();
    },
  };
}

/** Starts edgeproxy on Bun with command-line arguments; resolves once listening. */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("bun run adapters/bun", argv, startBun);
}

if (import.meta.main) await runUntilSignalled(await main(process.argv.slice(2)));
