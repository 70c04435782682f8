// The module each Node `worker_processes` thread runs.
import { nodePlatform } from "./platform.ts";
import { runWorkerThread } from "./worker-thread.ts";

await runWorkerThread(nodePlatform);
