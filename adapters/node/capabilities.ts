import { hostname } from "node:os";
import {
  type Capabilities,
  type Dialer,
  type FailureState,
  Http1Transport,
  type LimitZones,
  type Logger,
  MemoryCounters,
  MemoryFailureState,
  MemoryLimitZones,
  type StatusCounters,
} from "../../core/index.ts";

export { stderrLogger } from "./logger.ts";

import { FileAccessLog } from "./access-log.ts";
import { zlibCompression } from "./compression.ts";
import { nodeDialer } from "./dialer.ts";
import { nodeFileTests } from "./file-tests.ts";
import { errorLogger } from "./logger.ts";
import { nodeResolver } from "./resolver.ts";
import { scavenger } from "./scavenge.ts";
import { type Collector, FileSpool } from "./spool.ts";
import { nodeUserFiles } from "./user-files.ts";

/**
 * What the Node platform gives the core: sockets, temp files, the wall clock, stderr, and peer
 * health, limit zones and status counters in process memory (pass the previous store on reload
 * to keep it, shared ones for worker threads).
 */
export function nodeCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
  limitZones: LimitZones = new MemoryLimitZones(),
  counters: StatusCounters = new MemoryCounters(),
): ServerCapabilities {
  return serverCapabilities({ dialer: nodeDialer, collect: scavenger() }, log, failures, limitZones, counters);
}

/** Capabilities of a server process, with its own upstream sockets and means to collect garbage. */
export type ServerCapabilities = Capabilities & { transport: Http1Transport; accessLog: FileAccessLog; counters: StatusCounters };

/**
 * Node's modules as a server platform gives them (Node, and Bun, which runs node:fs, node:zlib
 * and node:dns as they are), around the platform's own dialer and garbage collection (`collect`,
 * run as bodies pass through the spool).
 */
export function serverCapabilities(
  platform: { readonly dialer: Dialer; readonly collect: Collector },
  log: Logger,
  failures: FailureState,
  limitZones: LimitZones,
  counters: StatusCounters,
): ServerCapabilities {
  return {
    transport: new Http1Transport(platform.dialer),
    failures,
    // Blocking file I/O, as nginx's.
    spool: new FileSpool(platform.collect),
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
