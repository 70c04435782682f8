import { hostname } from "node:os";
import {
  type Capabilities,
  type FailureState,
  Http1Transport,
  type LimitZones,
  type Logger,
  MemoryCounters,
  MemoryFailureState,
  MemoryLimitZones,
  type StatusCounters,
} from "../../core/index.ts";
import { FileAccessLog } from "../node/access-log.ts";
import { zlibCompression } from "../node/compression.ts";
import { nodeFileTests } from "../node/file-tests.ts";
import { errorLogger } from "../node/logger.ts";
import { nodeResolver } from "../node/resolver.ts";
import { FileSpool } from "../node/spool.ts";
import { nodeUserFiles } from "../node/user-files.ts";
import { bunDialer } from "./dialer.ts";

/**
 * What Bun gives the core: its native sockets upstream (Bun.connect under the core's HTTP/1
 * client), Node's spool and log files (Bun runs node:fs as it is), the wall clock, and peer
 * health, limit zones and status counters in process memory.
 */
export function bunCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
  limitZones: LimitZones = new MemoryLimitZones(),
  counters: StatusCounters = new MemoryCounters(),
): Capabilities & { transport: Http1Transport; accessLog: FileAccessLog; counters: StatusCounters } {
  return {
    transport: new Http1Transport(bunDialer),
    failures,
    // Node's spool, blocking file I/O as nginx's; Bun.gc(false) asks for a collection every 16 MiB.
    spool: new FileSpool(() => Bun.gc(false)),
    clock: { now: () => Date.now() },
    log,
    openLog: errorLogger,
    accessLog: new FileAccessLog(),
    files: nodeFileTests,
    limitZones,
    userFiles: nodeUserFiles,
    compression: zlibCompression,
    counters,
    resolver: nodeResolver,
    hostname: hostname(),
  };
}
