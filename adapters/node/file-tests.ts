import { constants, type Stats, statSync } from "node:fs";
import type { FileTests } from "../../core/index.ts";

/**
 * The rewrite module's `-f`, `-d`, `-e`, `-x` on Node's file system (Bun runs node:fs as it
 * is): a blocking `stat()`, following links, as nginx's own test is. `-x` is the owner's
 * execute bit (`ngx_is_exec()`).
 */
export const nodeFileTests: FileTests = {
  stat(path) {
    let s: Stats | undefined;
    try {
      s = statSync(path, { throwIfNoEntry: false });
    } catch {
      // ENOTDIR, ENAMETOOLONG, EACCES: nginx's test fails the same way (Bun throws where Node returns nothing).
      return null;
    }
    if (!s) return null;
    return { isFile: s.isFile(), isDir: s.isDirectory(), isExec: (s.mode & constants.S_IXUSR) !== 0 };
  },
};
