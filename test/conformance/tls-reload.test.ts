import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { h2Connect, h2Request } from "../support/h2-client.ts";
import { ADAPTER, ADAPTER_COMMANDS, httpPaths, type RunningProxy, startCommand, startEdgeproxy, tempDir } from "../support/proxies.ts";
import { makeCertificates, type TestCertificates, tlsRequest } from "../support/tls.ts";

const get = (path: string, connection = "close") => `GET ${path} HTTP/1.1\r\nHost: reload.test\r\nConnection: ${connection}\r\n\r\n`;

/** The serial number of the certificate a new handshake gets. */
function servedSerial(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "reload.test", rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.serialNumber ?? null);
      socket.destroy();
    });
    socket.on("error", () => resolve(null));
  });
}

/**
 * nginx with its master process, as a reload runs in production (the test harness's nginx runs
 * without one, and a single process does not reload TLS listeners reliably). Its log is read
 * from its error_log.
 */
async function startReloadableNginx(http: (port: number) => string): Promise<RunningProxy> {
  const dir = tempDir("nginx-master");
  const running = await startCommand("nginx", (port) => {
    const file = join(dir, "nginx.conf");
    writeFileSync(
      file,
      `daemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log info;\nevents { worker_connections 256; }\nhttp {\n${httpPaths(dir)}\n${http(port)}\n}\n`,
    );
    return ["nginx", "-p", `${dir}/`, "-e", `${dir}/error.log`, "-c", file];
  });
  return { ...running, log: () => readFileSync(join(dir, "error.log"), "utf8") };
}

/** The serial a new handshake gets once it is `expected`, or what it still is after 5 s. */
async function settledSerial(port: number, expected: string): Promise<string | null> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const serial = await servedSerial(port);
    if (serial === expected || Date.now() > deadline) return serial;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// nginx's reload (SIGHUP): new connections get the certificates the files now hold, requests in
// flight on the old ones finish, and a file that no longer loads keeps the running ones.
describe.skipIf(ADAPTER === "workers")("certificates on reload", () => {
  let certs: TestCertificates;
  let backend: Backend;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    certs = makeCertificates();
    certs.issue("v1", "reload.test", 0x1111);
    certs.issue("v2", "reload.test", 0x2222);
    copyFileSync(certs.path("v1.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("v1.key"), certs.path("live.key"));
    backend = await startBackend("b");
    backend.reply = (req) => (req.requestLine.includes("/slow") ? { body: "slow\n", delayMs: 1500 } : { body: "b\n" });
    const server = (port: number) => `
    server {
        listen 127.0.0.1:${port} ssl http2;
        server_name reload.test;
        ssl_certificate ${certs.path("live.crt")};
        ssl_certificate_key ${certs.path("live.key")};
        location / { proxy_pass http://127.0.0.1:${backend.port}; }
    }`;
    proxies = await Promise.all([startReloadableNginx(server), startEdgeproxy(server, ADAPTER_COMMANDS[ADAPTER])]);
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await backend.close();
    certs.remove();
  });

  const reloadAll = async (marker: RegExp, counts: number[]) => {
    for (const p of proxies) process.kill(p.pid, "SIGHUP");
    const deadline = Date.now() + 10_000;
    for (const [i, p] of proxies.entries()) {
      while ((p.log().match(marker) ?? []).length <= (counts[i] ?? 0)) {
        if (Date.now() > deadline) throw new Error(`${p.name} did not reload:\n${p.log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const reloads = (p: RunningProxy) => (p.log().match(RELOADED) ?? []).length;
  const RELOADED = /start worker processes|edgeproxy reloaded its configuration|reload failed|\[emerg\]/g;

  test("a new certificate serves new connections while requests in flight finish on the old ones", async () => {
    for (const p of proxies) expect({ proxy: p.name, serial: await servedSerial(p.port) }).toEqual({ proxy: p.name, serial: "1111" });
    // In flight: an HTTP/1 request and an HTTP/2 stream waiting on the slow upstream.
    const inFlight = proxies.map((p) => tlsRequest(p.port, get("/slow/h1"), { servername: "reload.test" }));
    const sessions = await Promise.all(proxies.map((p) => h2Connect(p.port, { servername: "reload.test" })));
    const streams = sessions.map((s) => h2Request(s, { headers: { ":authority": "reload.test", ":path": "/slow/h2" } }));
    await new Promise((r) => setTimeout(r, 300));
    copyFileSync(certs.path("v2.crt"), certs.path("live.crt"));
    copyFileSync(certs.path("v2.key"), certs.path("live.key"));
    await reloadAll(RELOADED, proxies.map(reloads));
    // nginx's old worker may take a last connection while the new one starts.
    for (const p of proxies)
      expect({ proxy: p.name, serial: await settledSerial(p.port, "2222") }).toEqual({ proxy: p.name, serial: "2222" });
    const finished = await Promise.all(inFlight);
    expect(finished.map((r) => [r.response.status, r.response.body.toString()])).toEqual(proxies.map(() => [200, "slow\n"]));
    const h2 = await Promise.all(streams);
    expect(h2.map((r) => [r.status, r.body.toString()])).toEqual(proxies.map(() => [200, "slow\n"]));
    // An old connection: nginx's old worker has sent GOAWAY; edgeproxy serves the new stream with
    // the new config, as it serves the next request of an HTTP/1 keep-alive connection.
    const again = await Promise.all(sessions.map((s) => h2Request(s, { headers: { ":authority": "reload.test", ":path": "/again" } })));
    expect(again.map((r) => r.status)).toEqual([0, 200]);
    for (const s of sessions) s.close();
  });

  test("a key that no longer loads keeps the running certificate", async () => {
    writeFileSync(certs.path("live.key"), "not a key\n");
    await reloadAll(RELOADED, proxies.map(reloads));
    for (const p of proxies) expect({ proxy: p.name, serial: await servedSerial(p.port) }).toEqual({ proxy: p.name, serial: "2222" });
    expect(proxies[1]?.log()).toContain(`cannot load certificate key "${certs.path("live.key")}": PEM_read_bio_PrivateKey() failed`);
  });
});
