#!/usr/bin/env node
// The package's `edgeproxy-workers`: plain JavaScript, so that it runs on any Node to say when
// that Node is too old (see adapters/node/main.js).
import module from "node:module";
import { exitUnlessNodeFits } from "../../node/node-version.js";

exitUnlessNodeFits();
module.enableCompileCache();
const { run } = await import("./cli.ts");
process.exitCode = await run(process.argv.slice(2));
