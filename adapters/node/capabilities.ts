import {
  type Capabilities,
  type FailureState,
  Http1Transport,
  type LimitZones,
  type Logger,
  MemoryFailureState,
  MemoryLimitZones,
} from "../../core/index.ts";

export { stderrLogger } from "./logger.ts";

import { FileAccessLog } from "./access-log.ts";
import { zlibCompression } from "./compression.ts";
import { nodeDialer } from "./dialer.ts";
import { nodeFileTests } from "./file-tests.ts";
import { errorLogger } from "./logger.ts";
import { scavenger } from "./scavenge.ts";
import { FileSpool } from "./spool.ts";
import { nodeUserFiles } from "./user-files.ts";

/**
 * What the Node platform gives the core: sockets, temp files, the wall clock, stderr, and peer
 * health and limit zones in process memory (pass the previous store on reload to keep it).
 */
export function nodeCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
  limitZones: LimitZones = new MemoryLimitZones(),
): Capabilities & { transport: Http1Transport; accessLog: FileAccessLog } {
  return {
    transport: new Http1Transport(nodeDialer),
    failures,
    spool: new FileSpool(scavenger()),
    clock: { now: () => Date.now() },
    log,
    openLog: errorLogger,
    accessLog: new FileAccessLog(),
    files: nodeFileTests,
    limitZones,
    userFiles: nodeUserFiles,
    compression: zlibCompression,
  };
}
