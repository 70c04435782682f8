import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

/** `%0d%0a` decodes into `$uri` as CR LF: a header built from it would end early and start another. */
const INJECTING = "/a%0d%0aInjected:%20yes";

// No CR, LF or NUL leaves edgeproxy inside a header, whatever a variable holds (issue #12, item 4).
describe("header injection through variables", () => {
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("i");
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        location / { proxy_set_header X-Uri $uri; proxy_set_header X-Kept kept; proxy_pass http://127.0.0.1:${backend.port}; }
        location /r/ { return 302 http://example.test$uri; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  check("leaves out a request header whose variable decodes to CR LF, and logs it", async () => {
    const seen = await observeAll(proxies, [backend], `GET ${INJECTING} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    // Names compared in lower case: a Fetch platform's Headers lower-cases them.
    const names = (seen.edgeproxy?.upstream[0]?.headers ?? []).map(([name, value]) => `${name.toLowerCase()}: ${value}`);
    expect(names.some((line) => line.startsWith("injected") || line.startsWith("x-uri"))).toBe(false);
    expect(names).toContain("x-kept: kept");
    expect(seen.edgeproxy?.status).toBe(200);
    const edgeproxy = proxies.find((p) => p.name === "edgeproxy");
    if (ADAPTER !== "workers") expect(edgeproxy?.log()).toContain('header "X-Uri" was not sent upstream: its value holds CR, LF or NUL');
  });

  check("leaves out a response header whose variable decodes to CR LF", async () => {
    const edgeproxy = proxies.find((p) => p.name === "edgeproxy") as RunningProxy;
    const res = await rawRequest(edgeproxy.port, `GET /r${INJECTING} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(302);
    expect(res.headers.some(([name]) => name.toLowerCase() === "injected")).toBe(false);
  });
});
