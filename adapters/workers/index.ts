/**
 * `wrangler deploy` with the repository's wrangler.toml: the example config as a Worker. Your
 * own config deploys with `edgeproxy-workers deploy -c FILE` (adapters/workers/cli/).
 */
import configText from "../../examples/edgeproxy.conf";
import { createWorker } from "./worker.ts";

export { EdgeproxyPeerState } from "./worker.ts";

/** The bindings wrangler.toml declares. */
interface Env {
  readonly EDGEPROXY_STATE: KVNamespace;
}

export default createWorker(configText, "examples/edgeproxy.conf", { kvRefreshMs: 10_000 }) satisfies ExportedHandler<Env>;
