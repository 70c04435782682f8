/**
 * A Hono app with the edgeproxy middleware from the sources, served on the runtime that runs
 * this file: Bun.serve under `bun`, @hono/node-server under `node`. Usage: RUNTIME hono-app.ts PORT CONFIG
 */
import { Hono } from "hono";

const [port, config] = [Number(process.argv[2]), process.argv[3] as string];
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
// A computed path: the Bun adapter's types are Bun's, which this (Node-typed) project does not load.
const runtime = isBun ? "bun" : "node";
const { edgeproxy } = (await import(`../../adapters/hono/${runtime}.ts`)) as typeof import("../../adapters/hono/node.ts");
const app = new Hono().use(edgeproxy(config));
if (isBun) {
  (globalThis as unknown as { Bun: { serve(o: object): unknown } }).Bun.serve({ port, hostname: "127.0.0.1", fetch: app.fetch });
} else {
  const { serve } = await import("@hono/node-server");
  serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
}
process.on("SIGTERM", () => process.exit(0));
