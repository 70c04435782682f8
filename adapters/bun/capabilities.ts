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

const BUN_COLLECTOR = { run: () => Bun.gc(false), everyBytes: 16 * 1024 * 1024 };

/**
 * What Bun gives the core: its native sockets upstream (Bun.connect under the core's HTTP/1
 * client), Node's spool, log files and the rest as Bun runs them, and peer health, limit zones
 * and status counters in process memory. `Bun.gc(false)` every 16 MiB spooled or replayed frees
 * the Buffers a large body leaves: a synchronous `Bun.gc(true)` halved a 1 GiB upload's RSS
 * growth (53 to 21-25 MiB) but cost POST 256 KiB 56% more CPU (`RUNTIME=bun node bench/ab.ts`).
 */
export function bunCapabilities(
  log: Logger,
  failures: FailureState = new MemoryFailureState(),
  limitZones: LimitZones = new MemoryLimitZones(),
  counters: StatusCounters = new MemoryCounters(),
): ServerCapabilities {
  return serverCapabilities({ dialer: bunDialer, collect: BUN_COLLECTOR }, log, failures, limitZones, counters);
}
