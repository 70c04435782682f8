import v8 from "node:v8";
import vm from "node:vm";
import type { Collector } from "./spool.ts";
import { SEMI_SPACE_MIB, semiSpaceMiB } from "./young-generation.ts";

/**
 * V8 frees a dead Buffer's memory only when it collects the Buffer's small JS object, which a
 * large upload produces too slowly to trigger a collection: the socket's chunks, garbage once
 * written, piled up by tens of MiB. A minor collection (a scavenge) every 4 MiB spooled or
 * replayed bounds the pile. With the 4 MiB semi-spaces main.js starts V8 with, a scavenge is
 * cheap, and freed chunks are reused while still in the caches. Measured against every 16 MiB,
 * in one run: a 1 GiB upload at 507-547 MiB/s against 318-346 and 94-102 MiB peak RSS against
 * 107-109 (`ONLY=upload node bench/ab.ts`), POST 256 KiB at 722-736 µs of CPU against 776-794
 * (`ONLY="POST 256 KiB" node bench/ab.ts`). A process whose young generation is V8's own size
 * (edgeproxy in a Hono app, or started with a larger one) keeps every 16 MiB, which measured
 * 25% faster than every 4 MiB for a 512 MiB upload with V8's sizes.
 */
export function scavenger(): Collector {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (options: { type: "minor"; execution: "sync" }) => void;
  const small = (semiSpaceMiB() ?? Number.POSITIVE_INFINITY) <= SEMI_SPACE_MIB;
  return { run: () => gc({ type: "minor", execution: "sync" }), everyBytes: (small ? 4 : 16) * 1024 * 1024 };
}
