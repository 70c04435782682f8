import { type Config, createProxy, type Logger } from "../../core/index.ts";
import { nodeCapabilities } from "./capabilities.ts";
import { DEFAULT_CONFIG_PATH, type Running, runCommandLine, runUntilSignalled, type Started } from "./command-line.ts";
import { NodeServer } from "./server.ts";

export { DEFAULT_CONFIG_PATH };

/** How long SIGTERM/SIGINT waits for requests in flight before cutting them. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Serves a config with node:http and the node:net/node:tls transport. */
async function startNode(config: Config, log: Logger): Promise<Running> {
  // One set of capabilities for the process: a reload keeps peer health and idle connections.
  const caps = nodeCapabilities(log);
  let proxy = createProxy(config, caps);
  const server = new NodeServer(() => proxy, log, config);
  await server.listen(config.listens);
  return {
    reload: async (next) => {
      const replacement = createProxy(next, caps);
      await server.update(next.listens, next);
      proxy = replacement;
    },
    stop: async () => {
      await server.close(SHUTDOWN_GRACE_MS);
      caps.transport.close();
    },
  };
}

/** Starts edgeproxy on Node with command-line arguments; resolves once listening. */
export function main(argv: string[]): Promise<Started | number> {
  return runCommandLine("node adapters/node", argv, startNode);
}

/** The command line: starts and stays up until SIGTERM/SIGINT, or exits with -t's status. */
export async function run(argv: string[]): Promise<void> {
  await runUntilSignalled(await main(argv));
}
