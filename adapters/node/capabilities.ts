import { type Capabilities, type FailureState, type Logger, MemoryFailureState } from "../../core/index.ts";

export { stderrLogger } from "./logger.ts";

import { FileAccessLog } from "./access-log.ts";
import { errorLogger } from "./logger.ts";
import { FileSpool } from "./spool.ts";
import { NodeTransport } from "./transport.ts";

/**
 * What the Node platform gives the core: sockets, temp files, the wall clock, stderr, and peer
 * health in process memory (pass the previous store on reload to keep it).
 */
export function nodeCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
): Capabilities & { transport: NodeTransport } {
  return {
    transport: new NodeTransport(),
    failures,
    spool: new FileSpool(),
    clock: { now: () => Date.now() },
    log,
    openLog: errorLogger,
    accessLog: new FileAccessLog(),
  };
}
