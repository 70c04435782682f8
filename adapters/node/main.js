#!/usr/bin/env node
// `node adapters/node` and the package's `edgeproxy`: plain JavaScript, so that it runs on any
// Node to say when that Node is too old, and so that Node's compile cache is on before any
// TypeScript is read. Warm starts then take the stripped sources from the cache and never load
// the type stripper, which keeps its ~15 MB for the life of the process (measured: 82 MB idle
// RSS with a TypeScript entry file, 67-72 MB with this one).
import module from "node:module";
import { exitUnlessNodeFits } from "./node-version.js";

exitUnlessNodeFits();
module.enableCompileCache();
// Only a server is worth restarting for: -t, -v, -s and explain run as they are.
const { servesRequests } = await import("./options.ts");
if (servesRequests(process.argv.slice(2))) (await import("./young-generation.ts")).restartWithBoundedYoungGeneration();
const { run } = await import("./cli.ts");
await run(process.argv.slice(2));
