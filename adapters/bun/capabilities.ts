import {
  type FailureState,
  type LimitZones,
  type Logger,
  MemoryCounters,
  MemoryFailureState,
  MemoryLimitZones,
  type StatusCounters,
} from "../../core/index.ts";
import { type ServerCapabilities, serverCapabilities } from "../node/capabilities.ts";
import { bunDialer } from "./dialer.ts";

/**
 * What Bun gives the core: its native sockets upstream (Bun.connect under the core's HTTP/1
 * client), Node's spool, log files and the rest as Bun runs them, and peer health, limit zones
 * and status counters in process memory. `Bun.gc(false)` is its collection every 16 MiB spooled.
 */
export function bunCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
  limitZones: LimitZones = new MemoryLimitZones(),
  counters: StatusCounters = new MemoryCounters(),
): ServerCapabilities {
  return serverCapabilities({ dialer: bunDialer, collect: () => Bun.gc(false) }, log, failures, limitZones, counters);
}
