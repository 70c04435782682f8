import { describe, expect, test } from "vitest";
import { compileConfigSync, createRouteCheck, fetchConnection, parseConfigText } from "../../../core/index.ts";

const check = (http: string) => createRouteCheck(compileConfigSync(parseConfigText(`events {} http { ${http} }`)));
const at = fetchConnection(new Request("http://127.0.0.1:8080/"));

describe("createRouteCheck", () => {
  const takes = check(`
    server { server_name api.example.com; location /v1/ { proxy_pass http://127.0.0.1:1; } location = /health { return 200; } }
    server { server_name moved.example.com; return 301 https://example.com$request_uri; }
    server { server_name www.example.com; location ~ \\.php$ { return 403; } }`);

  test.each([
    ["/v1/items?x=1", "api.example.com", true],
    ["/health", "api.example.com", true],
    // nginx's own 301 to /v1/ answers it.
    ["/v1", "api.example.com", true],
    ["/v2/items", "api.example.com", false],
    ["/healthz", "api.example.com", false],
    // A server-level return takes everything.
    ["/anything", "moved.example.com", true],
    ["/index.php", "www.example.com", true],
    ["/index.html", "www.example.com", false],
    // The first server is the default: an unknown Host routes there.
    ["/v1/x", "other.example.com", true],
    // What nginx refuses (a bad Host, a target above the root) is the proxy's to answer.
    ["/x", "bad host", true],
    ["/../x", "api.example.com", true],
  ])("%s with Host %s: %s", (target, host, expected) => {
    expect(takes(target, host, at)).toBe(expected);
  });
});

describe("fetchConnection", () => {
  test("takes the port the client used from the URL, or the scheme's, never 0", () => {
    expect(fetchConnection(new Request("http://example.com:8081/")).localPort).toBe(8081);
    expect(fetchConnection(new Request("https://example.com/")).localPort).toBe(443);
    expect(fetchConnection(new Request("http://example.com/")).localPort).toBe(80);
    expect(fetchConnection(new Request("http://example.com/"), { localPort: 9000 }).localPort).toBe(9000);
  });

  test("shows an IPv4 client of a dual-stack socket as nginx does, and chooses servers by Host", () => {
    const c = fetchConnection(new Request("http://[::1]:8080/"), { remoteAddress: "::ffff:10.0.0.7", remotePort: 5000 });
    expect(c).toEqual({ remoteAddress: "10.0.0.7", remotePort: 5000, listenKey: "*", localAddress: "::1", localPort: 8080, isTls: false });
  });
});
