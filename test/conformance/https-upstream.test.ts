import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

// nginx-semantics 5.9: TLS upstreams, no verification and no SNI unless asked for.
describe("https upstreams", () => {
  let backend: Backend;
  let proxies: RunningProxy[];
  let certDir: string;

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "edgeproxy-cert-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=upstream.test",
        "-keyout",
        join(certDir, "key.pem"),
        "-out",
        join(certDir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const tls = { key: readFileSync(join(certDir, "key.pem"), "utf8"), cert: readFileSync(join(certDir, "cert.pem"), "utf8") };
    backend = await startBackend("tls", undefined, { tls });
    proxies = await startBoth(
      (port) => `
    upstream secure { server 127.0.0.1:${backend.port}; }
    server {
        listen 127.0.0.1:${port};
        location /block/ { proxy_pass https://secure/; }
        location /ip/ { proxy_pass https://127.0.0.1:${backend.port}/in/; }
        location /sni/ { proxy_ssl_server_name on; proxy_pass https://secure/; }
        location /sni-name/ { proxy_ssl_server_name on; proxy_ssl_name upstream.test; proxy_pass https://secure/; }
        location /sni-ip/ { proxy_ssl_server_name on; proxy_pass https://127.0.0.1:${backend.port}/; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  test.each(["/block/a?b=c", "/ip/x", "/sni/x", "/sni-name/x", "/sni-ip/x"])(
    "proxies %s over TLS as nginx does, SNI included",
    async (target) => {
      const seen = await observeAll(proxies, [backend], getRequest(target));
      expect(seen.nginx?.status).toBe(200);
      expect(seen.edgeproxy).toEqual(seen.nginx);
    },
  );
});
