/**
 * The hono contender: hono's proxy helper on @hono/node-server, forwarding every request as
 * hono's documentation shows. Usage: node bench/peers/hono.ts PORT UPSTREAM_URL
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { proxy } from "hono/proxy";

const [port, upstream] = process.argv.slice(2) as [string, string];
const app = new Hono();
app.all("*", (c) => {
  const url = new URL(c.req.url);
  return proxy(`${upstream}${url.pathname}${url.search}`, { raw: c.req.raw });
});
const server = serve({ fetch: app.fetch, port: Number(port), hostname: "127.0.0.1" });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
