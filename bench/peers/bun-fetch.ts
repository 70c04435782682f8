/**
 * The Bun contender: Bun.serve handing each request to Bun's fetch, the shortest proxy a Bun
 * user writes. Usage: bun bench/peers/bun-fetch.ts PORT UPSTREAM_URL
 */
const [port, upstream] = process.argv.slice(2) as [string, string];
const server = Bun.serve({
  port: Number(port),
  hostname: "127.0.0.1",
  maxRequestBodySize: 1024 ** 4,
  fetch(request) {
    const url = new URL(request.url);
    return fetch(`${upstream}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
  },
});
process.on("SIGTERM", () => server.stop().then(() => process.exit(0)));
