import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";
import { makeCertificates, type TestCertificates } from "../support/tls.ts";

// nginx-semantics 5.9: TLS upstreams, no verification and no SNI unless asked for; the
// proxy_ssl_* set: trusted CAs and depth, a client certificate, protocols, session reuse.
describe("https upstreams", () => {
  let certs: TestCertificates;
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    certs = makeCertificates();
    certs.issue("upstream", "upstream.test");
    backend = await startBackend("tls", undefined, {
      tls: { key: certs.read("upstream.key"), cert: certs.read("upstream.crt"), requestCert: true, rejectUnauthorized: false },
    });
    const port = backend.port;
    const ca = certs.path("ca.crt");
    proxies = await startBoth(
      (listen) => `
    upstream secure { server 127.0.0.1:${port}; }
    upstream sni.test { server 127.0.0.1:${port}; }
    upstream named { server 127.0.0.1:${port}; }
    upstream verified { server 127.0.0.1:${port}; }
    upstream mismatched { server 127.0.0.1:${port}; }
    upstream untrusted { server 127.0.0.1:${port}; }
    upstream client { server 127.0.0.1:${port}; }
    upstream modern { server 127.0.0.1:${port}; }
    server {
        listen 127.0.0.1:${listen};
        location /block/ { proxy_pass https://secure/; }
        location /ip/ { proxy_pass https://127.0.0.1:${port}/in/; }
        location /sni/ { proxy_ssl_server_name on; proxy_pass https://sni.test/; }
        location /sni-name/ { proxy_ssl_server_name on; proxy_ssl_name upstream.test; proxy_pass https://named/; }
        location /sni-ip/ { proxy_ssl_server_name on; proxy_pass https://127.0.0.1:${port}/; }
        location /verify/ {
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${ca};
            proxy_ssl_name upstream.test;
            proxy_pass https://verified/;
        }
        location /verify-name/ {
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${ca};
            proxy_ssl_name other.test;
            proxy_pass https://mismatched/;
        }
        location /verify-untrusted/ {
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${certs.path("inter.crt")};
            proxy_ssl_name upstream.test;
            proxy_pass https://untrusted/;
        }
        location /client-cert/ {
            proxy_ssl_certificate ${certs.path("client.crt")};
            proxy_ssl_certificate_key ${certs.path("client.key")};
            proxy_pass https://client/;
        }
        location /tls13/ { proxy_ssl_protocols TLSv1.3; proxy_pass https://modern/; }
        location /no-reuse/ { proxy_ssl_session_reuse off; proxy_pass https://secure/; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    certs.remove();
  });

  test.each([
    "/block/a?b=c",
    "/ip/x",
    "/sni/x",
    "/sni-name/x",
    "/sni-ip/x",
    "/client-cert/x",
    "/tls13/x",
    "/block/again",
    "/no-reuse/x",
    "/verify/x",
  ])("proxies %s over TLS as nginx does: SNI, protocol, client certificate, session reuse", async (target) => {
    const seen = await observeAll(proxies, [backend], getRequest(target));
    expect(seen.nginx?.status).toBe(200);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  // Each on an upstream of its own: nginx resumes a peer's session without verifying it again.
  test.each(["/verify-name/x", "/verify-untrusted/x"])("refuses an upstream certificate nginx refuses: %s", async (target) => {
    const seen = await observeAll(proxies, [backend], getRequest(target));
    expect(seen.nginx?.status).toBe(502);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });
});
