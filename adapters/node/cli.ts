import { parseArgs } from "node:util";
import { ConfigError, createProxy, type EdgeProxy } from "../../core/index.ts";
import { nodeCapabilities, stderrLogger } from "./capabilities.ts";
import { loadConfig } from "./load-config.ts";
import { NodeServer } from "./server.ts";

/** Where the config is read from when `-c` is not given, like nginx's /etc/nginx/nginx.conf. */
export const DEFAULT_CONFIG_PATH = "/etc/edgeproxy/edgeproxy.conf";

/** How long SIGTERM/SIGINT waits for requests in flight before cutting them. */
const SHUTDOWN_GRACE_MS = 10_000;

const USAGE = `usage: node adapters/node [-c FILE] [-t]
  -c FILE   configuration file (default ${DEFAULT_CONFIG_PATH})
  -t        test the configuration and exit, like nginx -t
`;

/** Starts edgeproxy on Node with the given command-line arguments; resolves once listening. */
export async function main(argv: string[]): Promise<{ stop: () => Promise<void> } | number> {
  let args: { values: { c?: string | undefined; t?: boolean | undefined; h?: boolean | undefined } };
  try {
    args = parseArgs({ args: argv, options: { c: { type: "string" }, t: { type: "boolean" }, h: { type: "boolean" } } });
  } catch (error) {
    process.stderr.write(`edgeproxy: ${(error as Error).message}\n${USAGE}`);
    return 1;
  }
  if (args.values.h) {
    process.stdout.write(USAGE);
    return 0;
  }
  const file = args.values.c ?? DEFAULT_CONFIG_PATH;
  const log = stderrLogger();
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = await loadConfig(file, (m) => log.warn(m));
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `${(error as Error).message}`;
    process.stderr.write(`edgeproxy: [emerg] ${message}\n`);
    if (args.values.t) process.stderr.write(`edgeproxy: configuration file ${file} test failed\n`);
    return 1;
  }
  if (args.values.t) {
    process.stderr.write(
      `edgeproxy: the configuration file ${file} syntax is ok\nedgeproxy: configuration file ${file} test is successful\n`,
    );
    return 0;
  }
  const caps = nodeCapabilities(log);
  const proxy: EdgeProxy = createProxy(config, caps);
  const server = new NodeServer(() => proxy, log);
  try {
    await server.listen(config.listens);
  } catch (error) {
    process.stderr.write(`edgeproxy: [emerg] bind() failed: ${(error as Error).message}\n`);
    return 1;
  }
  log.info(`edgeproxy listening on ${config.listens.map((l) => l.key).join(", ")}`);
  return {
    stop: async () => {
      await server.close(SHUTDOWN_GRACE_MS);
      caps.transport.close();
    },
  };
}

/** Runs the command line: starts and stays up until SIGTERM/SIGINT, or exits with -t's status. */
export async function run(argv: string[]): Promise<void> {
  const started = await main(argv);
  if (typeof started === "number") process.exit(started);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await started.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
