import v8 from "node:v8";
import vm from "node:vm";

/**
 * V8 frees a dead Buffer's memory only when it collects the Buffer's small JS object, which a
 * large upload produces too slowly to trigger a collection: the socket's chunks, garbage once
 * written, piled up by tens of MiB. A minor collection (a scavenge) every 16 MiB spooled or
 * replayed bounds the pile. Measured: every 4 MiB cost a 512 MiB upload 25% of its throughput
 * for no less peak RSS; every 32 MiB or never let 50 concurrent 256 KiB POSTs grow 40 MiB more.
 */
export function scavenger(): () => void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (options: { type: "minor"; execution: "sync" }) => void;
  return () => gc({ type: "minor", execution: "sync" });
}
