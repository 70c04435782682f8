/**
 * edgeproxy on Node.js as a library: `main(argv)` starts it as the command line does
 * (`edgeproxy -c FILE`, or `node adapters/node -c FILE`, runs main.js, which checks the Node
 * version and enables the compile cache first).
 */
import * as cli from "./cli.ts";

export type { ConfigFile, Running, Started } from "./command-line.ts";
export type { LoadedConfig } from "./load-config.ts";

/** Starts edgeproxy with nginx's command-line arguments; see command-line.ts. */
export const main: typeof cli.main = cli.main;
/** Where the config is read from without `-c`. */
export const DEFAULT_CONFIG_PATH: string = cli.DEFAULT_CONFIG_PATH;
