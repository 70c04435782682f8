import { resolve } from "node:path";
import type { Config, Logger } from "../../core/index.ts";
import { FileAccessLog } from "./access-log.ts";
import { blockErrorLogs, openConfigFiles } from "./config-files.ts";
import { runExplain } from "./explain-command.ts";
import { configErrorMessage, type LoadedConfig, loadConfig } from "./load-config.ts";
import { checkAppendable } from "./log-files.ts";
import { configuredLogger, errorLogger } from "./logger.ts";
import { type Options, parseOptions } from "./options.ts";
import { signalProcess, writePidFile } from "./pid-file.ts";
import { type Console, startupConsole } from "./startup-console.ts";
import { describeSystemError } from "./system-error.ts";
import { DEFAULT_CONFIG_PATH, versionText } from "./version.ts";

export { DEFAULT_CONFIG_PATH };

/** How long a graceful stop waits for requests in flight: `worker_shutdown_timeout`, else 10 s. */
export function shutdownGraceMs(config: Config): number {
  return config.workerShutdownTimeoutMs ?? 10_000;
}

/** A started proxy: how to reload it, reopen its logs, and stop it gracefully. */
export interface Running {
  /** Serves a new config: new connections use it, requests in flight finish on the old one. */
  reload(config: Config): Promise<void>;
  /** Opens every log file again (SIGUSR1, after logrotate moved them). */
  reopenLogs(): void;
  stop(): Promise<void>;
}

/** Where a config comes from, for threads that load it themselves as the command line did. */
export interface ConfigFile {
  readonly path: string;
  /** `-g` directives. */
  readonly globals: string | null;
  /** Where error lines go when the config has no main `error_log`: `-e FILE`, or stderr. */
  readonly errorLog: string;
}

/** How a runtime starts serving a loaded config (on node:net, or on Bun.listen). */
export type Start = (config: Config, log: Logger, source: ConfigFile) => Promise<Running>;

/** A running proxy, how to read its config file again, and its pid file. */
export interface Started {
  readonly running: Running;
  readonly load: () => Promise<LoadedConfig>;
  readonly log: Logger;
  /** Where this process wrote its pid (the config's `pid`), or null. */
  readonly pidPath: string | null;
}

/**
 * nginx's command line for every socket-owning adapter: `-c`, `-t`, `-T`, `-q`, `-v`, `-V`,
 * `-p`, `-e`, `-g`, `-s`, `-h` (see options.ts). Resolves with the running proxy, or the exit
 * code. `command` names the program in the usage text.
 */
export async function runCommandLine(command: string, argv: string[], start: Start): Promise<Started | number> {
  if (argv[0] === "explain") return runExplain(argv.slice(1));
  const parsed = parseOptions(argv);
  if ("error" in parsed) {
    process.stderr.write(`edgeproxy: ${parsed.error}\n`);
    return 1;
  }
  const options = parsed;
  if (options.help || options.version !== "none") {
    process.stderr.write(versionText(command, options));
    if (options.test === "none") return 0;
  }
  const out = startupConsole(options.errorLog);
  if (options.prefix !== null && !enterPrefix(options.prefix, out)) return 1;
  const file = resolve(options.configFile ?? DEFAULT_CONFIG_PATH);
  const source: ConfigFile = { path: file, globals: options.globals, errorLog: options.errorLog ?? "stderr" };
  const load = () => loadConfig(file, { warn: (m) => out.log("warn", m), globals: options.globals });
  let loaded: LoadedConfig;
  try {
    loaded = await load();
  } catch (error) {
    return failed(out, options, file, configErrorMessage(error));
  }
  if (options.signal) return sendSignal(out, loaded, options.signal, file);
  if (options.test !== "none") return test(out, options, source, loaded);
  return serve(out, options, source, loaded, load, start);
}

/** `-p PREFIX`: relative paths (`-c`, logs, `pid`, temp paths) start there, as nginx takes them from its prefix. */
function enterPrefix(prefix: string, out: Console): boolean {
  try {
    process.chdir(prefix);
    return true;
  } catch (error) {
    out.log("emerg", `chdir() to "${prefix}" failed (${describeSystemError(error)})`);
    return false;
  }
}

/** Reports a config or startup failure as nginx does: the `[emerg]` line, and `test failed` under -t. */
function failed(out: Console, options: Options, file: string, message: string): number {
  out.log("emerg", message);
  if (options.test !== "none") out.say(`configuration file ${file} test failed`);
  return 1;
}

/** `-s NAME`: signals the process named by the config's `pid` file (nginx's signaller). */
function sendSignal(out: Console, loaded: LoadedConfig, name: NonNullable<Options["signal"]>, file: string): number {
  out.log("notice", "signal process started");
  if (loaded.pidPath === null) {
    out.log("error", `no "pid" directive in ${file}: -s ${name} needs the pid file of the running process`);
    return 1;
  }
  const result = signalProcess(loaded.pidPath, name);
  if (result.ok) return 0;
  out.log(result.level, result.message);
  return 1;
}

/**
 * `-t` / `-T`: the config loaded; now open what starting would open (its error and access
 * logs, its temp directories, the pid file), as nginx -t does, and print the files read under -T.
 */
function test(out: Console, options: Options, source: ConfigFile, loaded: LoadedConfig): number {
  const file = source.path;
  if (!options.quiet) out.say(`the configuration file ${file} syntax is ok`);
  try {
    configuredLogger(loaded.config, source.errorLog);
    for (const target of blockErrorLogs(loaded.config)) errorLogger(target);
    openConfigFiles(loaded.config, new FileAccessLog());
    if (loaded.pidPath !== null) checkAppendable(loaded.pidPath);
  } catch (error) {
    return failed(out, options, file, configErrorMessage(error));
  }
  if (!options.quiet) out.say(`configuration file ${file} test is successful`);
  if (options.test === "dump") {
    for (const f of loaded.files) process.stdout.write(Buffer.from(`# configuration file ${f.path}:\n${f.text}\n`, "latin1"));
  }
  return 0;
}

async function serve(
  out: Console,
  options: Options,
  source: ConfigFile,
  loaded: LoadedConfig,
  load: () => Promise<LoadedConfig>,
  start: Start,
): Promise<Started | number> {
  let running: Running | null = null;
  try {
    // From here on the config's error_log decides where lines go (a reload keeps it).
    const log = configuredLogger(loaded.config, source.errorLog);
    running = await start(loaded.config, log, source);
    if (loaded.pidPath !== null) writePidFile(loaded.pidPath);
    log.info(`edgeproxy listening on ${loaded.config.listens.map((l) => l.key).join(", ")}`);
    return { running, load, log, pidPath: loaded.pidPath };
  } catch (error) {
    // A log file that cannot be opened, an address that cannot be bound, as nginx says them.
    await running?.stop();
    return failed(out, options, source.path, configErrorMessage(error));
  }
}
