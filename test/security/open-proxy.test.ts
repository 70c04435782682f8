import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { conformance } from "../support/gaps.ts";
import { observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

// The upstream is chosen by the config alone: never an open proxy (nginx-semantics 7.2, 7.3).
describe("open proxy attempts", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    backend = await startBackend("inside");
    proxies = await startBoth(
      (port) => `server { listen 127.0.0.1:${port}; server_name app.example; location / { proxy_pass http://127.0.0.1:${backend.port}; } }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
  });

  for (const target of [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:22/",
    "https://evil.example:443/x?y=1",
    "ftp://files.example/a",
  ]) {
    check(`sends the absolute-form ${target} to the configured upstream only`, async () => {
      const seen = await observeAll(proxies, [backend], `GET ${target} HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n`);
      expect(seen.edgeproxy).toEqual(seen.nginx);
      for (const u of seen.edgeproxy?.upstream ?? []) expect(u.backend).toBe(String(backend.port));
    });
  }
});
