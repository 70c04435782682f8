/**
 * `npm run dev:workers -- -c FILE` and `npm run deploy:workers -- -c FILE`: the package's
 * `edgeproxy-workers` run from the repository (adapters/workers/cli/).
 */
import { run } from "../adapters/workers/cli/cli.ts";

process.exitCode = await run(process.argv.slice(2));
