import type tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import { conformance } from "../support/gaps.ts";
import { type Observation, observeVia } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";
import { makeCertificates, type TestCertificates, type TlsClientOptions, tlsRequest } from "../support/tls.ts";

/** What a request over TLS showed: the handshake as the client saw it, and the usual observation. */
interface Seen {
  readonly handshake: {
    readonly ok: boolean;
    readonly protocol: string | null;
    readonly peer: string | null;
    readonly keyType: string | null;
  };
  readonly observed: Observation;
}

const SSL_VARS =
  "$ssl_protocol|$ssl_cipher|$ssl_server_name|$ssl_session_reused|$ssl_alpn_protocol|$https|$scheme|$server_protocol|$ssl_client_verify";
const CLIENT_VARS =
  "$ssl_client_s_dn|$ssl_client_i_dn|$ssl_client_s_dn_legacy|$ssl_client_i_dn_legacy|$ssl_client_serial|$ssl_client_fingerprint|$ssl_client_v_start|$ssl_client_v_end|$ssl_client_v_remain";

/** The default server has an RSA and an ECDSA certificate; the test client lists RSA ciphers first. */
const BORINGSSL_PICKS =
  "Bun's BoringSSL gives a client that can take either the ECDSA certificate, where OpenSSL follows the client's cipher order (RSA first here)";

const get = (host: string, path = "/") => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

// ngx_http_ssl_module: one config with several TLS servers on one address, run by nginx and
// edgeproxy with the same certificates; each client sees the same handshake and answer, and
// the upstream the same request.
describe("TLS to clients", () => {
  let certs: TestCertificates;
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    certs = makeCertificates();
    certs.issue("dyn.test", "dyn.test");
    backend = await startBackend("b");
    const c = (name: string) => certs.path(name);
    const proxy = `location / {
            proxy_pass http://127.0.0.1:${backend.port};
            proxy_set_header X-SSL "${SSL_VARS}";
            proxy_set_header X-Client "${CLIENT_VARS}";
            proxy_set_header X-Cert $ssl_client_escaped_cert;
        }`;
    proxies = await startBoth(
      (port) => `
    server {
        listen 127.0.0.1:${port} ssl http2 default_server;
        server_name default.test;
        ssl_certificate ${c("default.crt")};
        ssl_certificate_key ${c("default.key")};
        ssl_certificate ${c("default-ec.crt")};
        ssl_certificate_key ${c("default-ec.key")};
        ssl_session_cache shared:SSL:1m;
        ssl_session_tickets off;
        ${proxy}
    }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name a.test;
        ssl_certificate ${c("a.crt")};
        ssl_certificate_key ${c("a.key")};
        ssl_protocols TLSv1.2 TLSv1.3;
        ${proxy}
    }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name b.test;
        ssl_certificate ${c("b.crt")};
        ssl_certificate_key ${c("b.key")};
        ssl_verify_client on;
        ssl_client_certificate ${c("ca.crt")};
        ${proxy}
    }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name *.wild.test;
        ssl_certificate ${c("wild.crt")};
        ssl_certificate_key ${c("wild.key")};
        ssl_verify_client optional;
        ssl_verify_depth 0;
        ssl_client_certificate ${c("ca.crt")};
        ${proxy}
    }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name ~^dyn\\.;
        ssl_certificate ${certs.dir}/$ssl_server_name.crt;
        ssl_certificate_key ${certs.dir}/$ssl_server_name.key;
        ${proxy}
    }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name ~^noca\\.;
        ssl_certificate ${c("wild.crt")};
        ssl_certificate_key ${c("wild.key")};
        ssl_verify_client optional_no_ca;
        ${proxy}
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    certs.remove();
  });

  /** The same TLS request through each proxy. */
  async function both(request: string | null, options: TlsClientOptions = {}): Promise<Record<string, Seen>> {
    const out: Record<string, Seen> = {};
    for (const p of proxies) {
      let handshake: Seen["handshake"] = { ok: false, protocol: null, peer: null, keyType: null };
      const observed = await observeVia(p, [backend], async (port) => {
        const r = await tlsRequest(port, request, options);
        handshake = { ok: r.handshake.ok, protocol: r.handshake.protocol, peer: r.handshake.peer, keyType: r.handshake.keyType };
        return r.response;
      });
      out[p.name] = { handshake, observed };
    }
    return out;
  }

  const onPlatform = conformance({
    bun: {
      'SNI "unknown.test" picks the certificate of the server nginx picks': BORINGSSL_PICKS,
      'SNI "" picks the certificate of the server nginx picks': BORINGSSL_PICKS,
      "a resumed session is resumed on both, and $ssl_session_reused says so":
        "Bun's node:tls has no session cache hooks (newSession, resumeSession): ssl_session_cache keeps nothing",
    },
  });

  const clientCert = (name: string): TlsClientOptions => ({ cert: certs.read(`${name}.crt`), key: certs.read(`${name}.key`) });

  test.each([
    ["TLSv1", "default.test"],
    ["TLSv1.1", "default.test"],
    ["TLSv1.2", "default.test"],
    ["TLSv1.3", "default.test"],
    ["TLSv1.2", "a.test"],
    ["TLSv1.3", "a.test"],
  ] as [tls.SecureVersion, string][])("a %s handshake with %s ends as nginx's", async (version, servername) => {
    const seen = await both(get(servername), { servername, minVersion: version, maxVersion: version, ciphers: "DEFAULT@SECLEVEL=0" });
    expect(seen.edgeproxy?.handshake).toEqual(seen.nginx?.handshake);
    expect(seen.edgeproxy?.observed).toEqual(seen.nginx?.observed);
  });

  for (const servername of ["a.test", "b.test", "x.wild.test", "noca.test", "dyn.test", "unknown.test", ""]) {
    onPlatform(`SNI ${JSON.stringify(servername)} picks the certificate of the server nginx picks`, async () => {
      const seen = await both(null, servername ? { servername } : {});
      expect(seen.nginx?.handshake.ok).toBe(true);
      expect(seen.edgeproxy?.handshake).toEqual(seen.nginx?.handshake);
    });
  }

  for (const [kind, sigalgs] of [
    ["ECDSA", "ecdsa_secp256r1_sha256"],
    ["RSA", "rsa_pss_rsae_sha256:rsa_pkcs1_sha256"],
  ] as const) {
    onPlatform(`with an RSA and an ECDSA certificate, a client that signs with ${kind} gets that one`, async () => {
      for (const servername of ["default.test", ""]) {
        const seen = await both(null, { ...(servername ? { servername } : {}), sigalgs, maxVersion: "TLSv1.2" });
        expect(seen.nginx?.handshake.ok).toBe(true);
        expect(seen.edgeproxy?.handshake).toEqual(seen.nginx?.handshake);
      }
    });
  }

  test("$ssl_* variables reach the upstream as nginx's", async () => {
    const seen = await both(get("a.test", "/vars"), { servername: "a.test" });
    expect(seen.nginx?.observed.status).toBe(200);
    expect(seen.edgeproxy?.observed).toEqual(seen.nginx?.observed);
  });

  onPlatform("a resumed session is resumed on both, and $ssl_session_reused says so", async () => {
    for (const p of proxies) {
      const first = await tlsRequest(p.port, get("default.test"), { maxVersion: "TLSv1.2" });
      const again = await tlsRequest(p.port, get("default.test", "/again"), {
        maxVersion: "TLSv1.2",
        session: first.handshake.session as Buffer,
      });
      expect({ proxy: p.name, reused: again.handshake.reused }).toEqual({ proxy: p.name, reused: true });
      expect(backend.seen.at(-1)?.headers.find(([n]) => n === "X-SSL")?.[1]).toContain("|r|");
    }
  });

  test("plain HTTP to the TLS port is read, routed and answered with nginx's 497 page", async () => {
    const seen: Record<string, { status: number; body: string }> = {};
    for (const p of proxies) {
      const res = await rawRequest(p.port, get("b.test", "/plain"));
      seen[p.name] = { status: res.status, body: res.body.toString("latin1").replace(/nginx\/[\d.]+|edgeproxy/, "SERVER") };
    }
    expect(seen.nginx?.status).toBe(400);
    expect(seen.edgeproxy).toEqual(seen.nginx);
  });

  test("the error log says what nginx says of a plain request and of a certificate that does not verify", async () => {
    await tlsRequest(proxies[0]?.port as number, get("b.test", "/log-495"), { servername: "b.test", ...clientCert("self") });
    await tlsRequest(proxies[1]?.port as number, get("b.test", "/log-495"), { servername: "b.test", ...clientCert("self") });
    for (const p of proxies) await rawRequest(p.port, get("b.test", "/log-497"));
    await new Promise((r) => setTimeout(r, 200));
    // The line after nginx's `date [info] pid#tid: *N `.
    const lines = (p: RunningProxy, marker: string) =>
      p
        .log()
        .split("\n")
        .filter((l) => l.includes(marker))
        .map((l) => l.replace(/^.*?\] \d+#\d+: (\*\d+ )?/, ""));
    for (const marker of ["/log-495", "/log-497"]) {
      const nginx = lines(proxies[0] as RunningProxy, marker);
      expect(nginx.length, marker).toBeGreaterThan(0);
      expect(lines(proxies[1] as RunningProxy, marker)).toEqual(nginx);
    }
  });

  describe("client certificates", () => {
    test.each([
      ["a certificate from the trusted CA", "b.test", "client"],
      ["no certificate where one is required (496)", "b.test", null],
      ["a self-signed certificate (495)", "b.test", "self"],
      ["a certificate through an intermediate, depth 1", "b.test", "client-inter-chain"],
      ["optional: no certificate", "x.wild.test", null],
      ["optional: a trusted certificate", "x.wild.test", "client"],
      ["optional, depth 0: a certificate through an intermediate", "x.wild.test", "client-inter-chain"],
      ["optional_no_ca: a self-signed certificate", "noca.test", "self"],
    ])("%s: as nginx", async (_name, servername, cert) => {
      const options: TlsClientOptions = {
        servername,
        ...(cert ? { cert: certs.read(`${cert}.crt`), key: certs.read(`${cert.replace("-chain", "")}.key`) } : {}),
      };
      const seen = await both(get(servername, "/mtls"), options);
      expect(seen.edgeproxy?.observed).toEqual(seen.nginx?.observed);
    });

    test("a Host other than the SNI name, on a server that verifies, is 421", async () => {
      const seen = await both(get("b.test", "/other"), { servername: "a.test", ...clientCert("client") });
      expect(seen.nginx?.observed.status).toBe(421);
      expect(seen.edgeproxy?.observed).toEqual(seen.nginx?.observed);
    });
  });

  test.each([
    [["h2", "http/1.1"], "default.test"],
    [["http/1.1", "h2"], "default.test"],
    [["h2", "http/1.1"], "a.test"],
    [["spdy/3"], "default.test"],
  ])("ALPN %j with %s: nginx's choice", async (ALPNProtocols, servername) => {
    const choose = async (p: RunningProxy) => {
      const r = await tlsRequest(p.port, null, { servername, ALPNProtocols });
      return { ok: r.handshake.ok, alpn: r.handshake.alpn };
    };
    const [nginx, edge] = [await choose(proxies[0] as RunningProxy), await choose(proxies[1] as RunningProxy)];
    expect(edge).toEqual(nginx);
  });

  test.skipIf(ADAPTER === "workers")("every handshake above left nothing open on edgeproxy's side", () => {
    expect(proxies[1]?.log()).not.toMatch(/unexpected error/);
  });
});
