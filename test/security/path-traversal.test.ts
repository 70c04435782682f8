import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({
  workers: {
    "keeps /public//../admin/secret where nginx keeps it": `${BECAUSE.parsedUrl}; workerd resolves it to /public/admin/secret, still inside /public`,
    "keeps /public/./../../admin where nginx keeps it": `${BECAUSE.parsedUrl}; workerd clamps it to /admin, which answers 403`,
    "keeps /public/\\..\\admin where nginx keeps it": `${BECAUSE.parsedUrl}; workerd reads backslashes as slashes: /admin, which answers 403`,
  },
});

// Normalisation tricks must not carry a request out of a location (nginx-semantics 5.2, 7.1, 7.4).
describe("path traversal", () => {
  let publicSide: Backend;
  let proxies: RunningProxy[];
  beforeAll(async () => {
    publicSide = await startBackend("public");
    proxies = await startBoth(
      (port) => `server {
        listen 127.0.0.1:${port};
        location /public/ { proxy_pass http://127.0.0.1:${publicSide.port}/files/; }
        location /admin/ { return 403; }
        location = /admin { return 403; }
      }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await publicSide.close();
  });

  for (const target of [
    "/public/../admin/secret",
    "/public/%2e%2e/admin/secret",
    "/public/%2E%2E%2Fadmin/secret",
    "/public/..%2fadmin",
    "//admin/secret",
    "/public//../admin/secret",
    "/public/./../../admin",
    "/public/a/%2e%2e/%2e%2e/admin/x",
    "/public/%252e%252e/admin",
    "/public/..;/admin",
    "/public/\\..\\admin",
    "/public/%00/admin",
  ]) {
    check(`keeps ${target} where nginx keeps it`, async () => {
      const seen = await observeAll(proxies, [publicSide], getRequest(target));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });
  }
});
