import { readFileSync } from "node:fs";
import type { UserFiles } from "../../core/index.ts";
import { describeSystemError } from "./system-error.ts";

/**
 * Files a request reads (`auth_basic_user_file`), read whole and blocking on each request, as
 * nginx reads them: a changed file applies to the next request, with no reload. Bun runs it
 * as it is.
 */
export const nodeUserFiles: UserFiles = {
  read(path) {
    try {
      return { text: readFileSync(path, "latin1") };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { error: `open() "${path}" failed (${describeSystemError(error)})`, missing: code === "ENOENT" };
    }
  },
};
