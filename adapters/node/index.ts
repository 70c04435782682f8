/**
 * edgeproxy on Node.js as a library: `main(argv)` starts it as the command line does
 * (`node adapters/node -c FILE` runs main.js, which enables the compile cache first).
 */
import * as cli from "./cli.ts";

/** Starts edgeproxy with command-line arguments; see cli.ts. */
export const main: typeof cli.main = cli.main;
export const DEFAULT_CONFIG_PATH: string = cli.DEFAULT_CONFIG_PATH;
