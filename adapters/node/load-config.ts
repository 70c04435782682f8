import { lookup } from "node:dns/promises";
import { dirname, resolve } from "node:path";
import {
  type Config,
  ConfigError,
  type ConfigSource,
  compileConfig,
  type Directive,
  parseConfig,
  parseConfigText,
} from "../../core/index.ts";
import { fileSource } from "./config-source.ts";
import { serverTlsOf } from "./server-tls.ts";
import { loadUpstreamTls } from "./upstream-tls.ts";

/** The source name of `-g` directives in messages: nginx says `... in command line`. */
export const COMMAND_LINE = "command line";

/** A loaded configuration and what the process itself reads from it. */
export interface LoadedConfig {
  readonly config: Config;
  /** `pid`: where the running process writes its pid; null when the config has none. */
  readonly pidPath: string | null;
  /** Every file read, in the order nginx -T prints them, each once. */
  readonly files: readonly { readonly path: string; readonly text: string }[];
  /** The parsed directives, includes expanded (what `edgeproxy explain` lists). */
  readonly tree: readonly Directive[];
}

/** How a config is loaded: nginx's `[warn]` lines, and the `-g` directives. */
export interface LoadOptions {
  readonly warn: (message: string) => void;
  /** `-g DIRECTIVES`: main-context directives, read before the file as nginx reads them. */
  readonly globals?: string | null;
}

/** Resolves an upstream host name to all its addresses, once, at load (nginx's one peer per address). */
export async function resolveHost(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/** Reads, parses and compiles a config file; host names resolve once, here, as nginx does. */
export async function loadConfig(file: string, options: LoadOptions): Promise<LoadedConfig> {
  const files = new Map<string, string>();
  const recording: ConfigSource = {
    read: (path) => {
      const text = fileSource.read(path);
      if (!files.has(path)) files.set(path, text);
      return text;
    },
    glob: (pattern) => fileSource.glob(pattern),
  };
  const globals = options.globals ? parseGlobals(options.globals) : [];
  const tree = [...globals, ...parseConfig(resolve(file), recording)];
  const config = await compileConfig(tree, { warn: options.warn, resolveHost, confPrefix: dirname(resolve(file)) });
  // Certificates and keys are read with the config, as nginx reads them: -t, the start and a
  // reload fail on a missing or broken one.
  serverTlsOf(config);
  loadUpstreamTls(config);
  const pid = tree.find((d) => d.name === "pid");
  return { config, pidPath: pid?.args[0] ?? null, files: [...files].map(([path, text]) => ({ path, text })), tree };
}

/** `-g` text: simple directives only, each ended by `;` (ngx_conf_param()). */
function parseGlobals(text: string): Directive[] {
  let tree: Directive[];
  try {
    tree = parseConfigText(text, COMMAND_LINE);
  } catch (error) {
    // The lexer's end of input is the end of nginx's parameter.
    if (error instanceof ConfigError && error.reason.startsWith("unexpected end of file")) {
      throw new ConfigError("syntax", 'unexpected end of parameter, expecting ";"', error.location, { cause: error });
    }
    throw error;
  }
  const block = tree.find((d) => d.block);
  if (block) throw new ConfigError("syntax", "block directives are not supported in -g option", block.at);
  return tree;
}

/** A config error as nginx words it for the command line (`... in command line`), else `FILE:LINE: ...`. */
export function configErrorMessage(error: unknown): string {
  if (!(error instanceof ConfigError)) return error instanceof Error ? error.message : String(error);
  return error.location?.file === COMMAND_LINE ? `${error.reason} in ${COMMAND_LINE}` : error.message;
}
