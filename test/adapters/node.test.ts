import { startEdgeproxy } from "../support/proxies.ts";
import { processSuite } from "./_process-suite.ts";
import { adapterSuite } from "./_suite.ts";

adapterSuite("node", (body) => startEdgeproxy(body));
processSuite("node", [process.execPath, "adapters/node"]);
