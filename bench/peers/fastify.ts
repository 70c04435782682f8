/**
 * The fastify contender: `@fastify/http-proxy` in front of one upstream, as its README sets it
 * up. Usage: node bench/peers/fastify.ts PORT UPSTREAM_URL
 */
import proxy from "@fastify/http-proxy";
import Fastify from "fastify";

const [port, upstream] = process.argv.slice(2) as [string, string];
const app = Fastify({ logger: false, bodyLimit: 1024 ** 4 });
await app.register(proxy, { upstream });
await app.listen({ port: Number(port), host: "127.0.0.1" });
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
