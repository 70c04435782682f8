import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { get } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

// error_log in server and location: a request's errors go to the log of its block, from its
// level up, and not to the main one (ngx_http_core_module, "error_log").
describe("error_log below main", () => {
  let proxies: RunningProxy[];

  beforeAll(async () => {
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port};
        error_log {{dir}}/server.log warn;
        location /loc { error_log {{dir}}/loc.log error; proxy_pass http://127.0.0.1:1; }
        location /quiet { error_log {{dir}}/quiet.log crit; proxy_pass http://127.0.0.1:1; }
        location /srv { proxy_pass http://127.0.0.1:1; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  check("writes each request's upstream error to its own block's log, at its level", async () => {
    const seen: Record<string, Record<string, number>> = {};
    for (const p of proxies) {
      for (const path of ["/loc", "/quiet", "/srv", "/loc"]) expect((await get(p.port, path)).status).toBe(502);
      await new Promise((r) => setTimeout(r, 300));
      const errors = (file: string) =>
        readFileSync(join(p.dir, file), { encoding: "utf8", flag: "a+" })
          .split("\n")
          .filter((l) => l.includes("[error]") && l.includes("upstream")).length;
      seen[p.name] = { loc: errors("loc.log"), quiet: errors("quiet.log"), server: errors("server.log"), main: errors("error.log") };
    }
    expect(seen.nginx).toEqual({ loc: 2, quiet: 0, server: 1, main: 0 });
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });
});
