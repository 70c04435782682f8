import { parseArgs } from "node:util";
import { type Config, ConfigError, type Logger } from "../../core/index.ts";
import { loadConfig } from "./load-config.ts";
import { configuredLogger, stderrLogger } from "./logger.ts";

/** Where the config is read from when `-c` is not given, like nginx's /etc/nginx/nginx.conf. */
export const DEFAULT_CONFIG_PATH = "/etc/edgeproxy/edgeproxy.conf";

/** How long a graceful stop waits for requests in flight: `worker_shutdown_timeout`, else 10 s. */
export function shutdownGraceMs(config: Config): number {
  return config.workerShutdownTimeoutMs ?? 10_000;
}

/** A started proxy: how to reload it and how to stop it gracefully. */
export interface Running {
  /** Serves a new config: new connections use it, requests in flight finish on the old one. */
  reload(config: Config): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How a runtime starts serving a loaded config (on node:net, or on Bun.listen). `file` is
 * where it came from, for threads that load it themselves.
 */
export type Start = (config: Config, log: Logger, file: string) => Promise<Running>;

/** A running proxy and how to read its config file again. */
export interface Started {
  readonly running: Running;
  readonly load: () => Promise<Config>;
  readonly log: Logger;
}

/**
 * The command line every socket-owning adapter shares: `-c FILE`, `-t` (exit 0/1 like
 * `nginx -t`), `-h`. Resolves with the running proxy, or the exit code.
 */
export async function runCommandLine(command: string, argv: string[], start: Start): Promise<Started | number> {
  const usage = `usage: ${command} [-c FILE] [-t]
  -c FILE   configuration file (default ${DEFAULT_CONFIG_PATH})
  -t        test the configuration and exit, like nginx -t
`;
  let args: { values: { c?: string | undefined; t?: boolean | undefined; h?: boolean | undefined } };
  try {
    args = parseArgs({ args: argv, options: { c: { type: "string" }, t: { type: "boolean" }, h: { type: "boolean" } } });
  } catch (error) {
    process.stderr.write(`edgeproxy: ${(error as Error).message}\n${usage}`);
    return 1;
  }
  if (args.values.h) {
    process.stdout.write(usage);
    return 0;
  }
  const file = args.values.c ?? DEFAULT_CONFIG_PATH;
  const log = stderrLogger();
  const load = () => loadConfig(file, (m) => log.warn(m));
  let config: Config;
  try {
    config = await load();
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
  try {
    // From here on the config's error_log decides where lines go (a reload keeps it).
    const serving = configuredLogger(config);
    const running = await start(config, serving, file);
    serving.info(`edgeproxy listening on ${config.listens.map((l) => l.key).join(", ")}`);
    return { running, load, log: serving };
  } catch (error) {
    // A log file that cannot be opened, or an address that cannot be bound, as nginx says them.
    const e = error as NodeJS.ErrnoException;
    const what = e.syscall === "open" ? `open() "${e.path}" failed` : "bind() failed";
    process.stderr.write(`edgeproxy: [emerg] ${what}: ${e.message}\n`);
    return 1;
  }
}

/**
 * Runs until SIGTERM/SIGINT (then stops gracefully and exits 0), or exits with -t's status.
 * SIGHUP reloads the config like `nginx -s reload`: a file that does not load is reported with
 * its FILE:LINE and the running config keeps serving.
 */
export async function runUntilSignalled(started: Started | number): Promise<void> {
  if (typeof started === "number") process.exit(started);
  const { running, load, log } = started;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.stop();
    process.exit(0);
  };
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      try {
        await running.reload(await load());
        log.info("edgeproxy reloaded its configuration");
      } catch (error) {
        const message = error instanceof ConfigError ? error.message : (error as Error).message;
        log.error(`reload failed, still serving the previous configuration: ${message}`);
      }
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", reload);
}
