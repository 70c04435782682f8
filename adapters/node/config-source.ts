import { globSync, readFileSync } from "node:fs";
import type { ConfigSource } from "../../core/index.ts";
import { describeSystemError } from "./system-error.ts";

/**
 * Configuration files from disk. Text is read as latin1, one char per byte, so that location
 * names and regexes compare with request paths byte for byte, as nginx compares them. A file
 * that cannot be read fails with nginx's reason (`2: No such file or directory`).
 */
export const fileSource: ConfigSource = {
  read: (path) => {
    try {
      return readFileSync(path, "latin1");
    } catch (error) {
      throw new Error(describeSystemError(error), { cause: error });
    }
  },
  glob: (pattern) => globSync(pattern).sort(),
};
