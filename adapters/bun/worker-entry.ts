// The module each Bun `worker_processes` thread runs.
import { runWorkerThread } from "../node/worker-thread.ts";
import { bunPlatform } from "./platform.ts";

await runWorkerThread(bunPlatform);
