import { parentPort, workerData } from "node:worker_threads";
import { SharedCounters } from "../../../core/status/shared-counters.ts";

/** A thread that counts `times` requests and one attempt per request to peer `key`, in its own segment. */
const { buffer, thread, times, key } = workerData as { buffer: SharedArrayBuffer; thread: number; times: number; key: string };
const counters = new SharedCounters(buffer, thread);
const peer = counters.peer(key);
for (let i = 0; i < times; i++) {
  counters.server[3] = (counters.server[3] as number) + 1;
  peer[0] = (peer[0] as number) + 1;
}
parentPort?.postMessage("done");
