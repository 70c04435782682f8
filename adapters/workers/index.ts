/**
 * `wrangler deploy` with the root wrangler.toml: the example config as a Worker. To deploy
 * your own file, `npm run deploy:workers -- -c FILE` bundles it in place of this one.
 */
import configText from "../../examples/edgeproxy.conf";
import { createWorker } from "./worker.ts";

export default createWorker(configText, "examples/edgeproxy.conf", { kvRefreshMs: 10_000 });
