import {
  type Capabilities,
  type FailureState,
  Http1Transport,
  type Logger,
  MemoryCounters,
  MemoryFailureState,
  type StatusCounters,
} from "../../core/index.ts";

export { stderrLogger } from "./logger.ts";

import { FileAccessLog } from "./access-log.ts";
import { nodeDialer } from "./dialer.ts";
import { nodeFileTests } from "./file-tests.ts";
import { errorLogger } from "./logger.ts";
import { scavenger } from "./scavenge.ts";
import { FileSpool } from "./spool.ts";

/**
 * What the Node platform gives the core: sockets, temp files, the wall clock, stderr, and peer
 * health and status counters in process memory (pass shared ones for worker threads).
 */
export function nodeCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
  counters: StatusCounters = new MemoryCounters(),
): Capabilities & { transport: Http1Transport; accessLog: FileAccessLog; counters: StatusCounters } {
  return {
    transport: new Http1Transport(nodeDialer),
    failures,
    spool: new FileSpool(scavenger()),
    clock: { now: () => Date.now() },
    log,
    openLog: errorLogger,
    accessLog: new FileAccessLog(),
    files: nodeFileTests,
    counters,
  };
}
