import { join } from "node:path";
import { ROOT, startEdgeproxy } from "../support/proxies.ts";
import { commandLineSuite } from "./_command-line-suite.ts";
import { processSuite } from "./_process-suite.ts";
import { adapterSuite } from "./_suite.ts";

/** The Bun that `npm ci` installs (the `bun` package). */
export const BUN = join(ROOT, "node_modules", ".bin", "bun");
const command = [BUN, "run", "adapters/bun"];

adapterSuite("bun", (body) => startEdgeproxy(body, command), {});
processSuite("bun", command);
commandLineSuite("bun", [BUN, "run", join(ROOT, "adapters/bun")]);
