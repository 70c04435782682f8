import { globSync, readFileSync } from "node:fs";
import type { ConfigSource } from "../../core/index.ts";

/**
 * Configuration files from disk. Text is read as latin1, one char per byte, so that location
 * names and regexes compare with request paths byte for byte, as nginx compares them.
 */
export const fileSource: ConfigSource = {
  read: (path) => readFileSync(path, "latin1"),
  glob: (pattern) => globSync(pattern).sort(),
};
