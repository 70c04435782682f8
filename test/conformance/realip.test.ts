import { afterAll, beforeAll, describe, expect } from "vitest";
import { type Backend, startBackend } from "../support/backend.ts";
import { BECAUSE, conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy, startBoth } from "../support/proxies.ts";
import { compareTraces, startBackends } from "./_traces.ts";

const check = conformance({
  workers: {
    "a header named by real_ip_header is read from its first line": BECAUSE.joinedHeaders,
  },
});

/** What the upstream saw of the client: `$remote_addr`, `$remote_port`, `$realip_remote_addr` and whether the peer's port shows. */
const SEEN = `proxy_set_header X-Seen "$remote_addr|$port_seen|$realip_remote_addr|$has_port";`;

// ngx_http_realip_module (nginx-tests realip.t, realip_remote_addr.t, realip_remote_port.t),
// from real loopback sources against the live nginx.
describe("realip: set_real_ip_from, real_ip_header, real_ip_recursive", () => {
  let backend: Backend;
  let hashed: Record<string, Backend>;
  let proxies: RunningProxy[];

  beforeAll(async () => {
    backend = await startBackend("ri");
    hashed = await startBackends("abc");
    const s = (name: string) => `server 127.0.0.1:${hashed[name]?.port};`;
    proxies = await startBoth(
      (port) => `
    upstream backend { server 127.0.0.1:${backend.port}; }
    upstream iphash { ip_hash; ${s("a")} ${s("b")} ${s("c")} }
    upstream addrhash { hash $remote_addr; ${s("a")} ${s("b")} ${s("c")} }
    map $realip_remote_port $has_port { "" none; default some; }
    map "$remote_port:$realip_remote_port" $port_seen { "~^(\\d+):\\1$" peer; default $remote_port; }
    server {
        listen 127.0.0.1:${port};
        server_name xff;
        set_real_ip_from 127.0.0.1;
        set_real_ip_from 10.0.0.0/8;
        set_real_ip_from ::1;
        real_ip_header X-Forwarded-For;
        ${SEEN}
        location / { proxy_pass http://backend; }
        location /recursive { real_ip_recursive on; proxy_pass http://backend; }
        location /return { return 200 "$remote_addr $realip_remote_addr\\n"; }
        location /iphash { proxy_pass http://iphash; }
        location /addrhash { proxy_pass http://addrhash; }
    }
    server {
        listen 127.0.0.1:${port};
        server_name realip;
        set_real_ip_from 127.0.0.0/24;
        ${SEEN}
        location / { proxy_pass http://backend; }
        location /custom { real_ip_header X-Client; proxy_pass http://backend; }
    }
    server {
        listen 127.0.0.1:${port};
        server_name located;
        ${SEEN}
        location / { set_real_ip_from 127.0.0.1; proxy_pass http://backend; }
        location /return { set_real_ip_from 127.0.0.1; return 200 "$remote_addr\\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([backend, ...Object.values(hashed)].map((x) => x.close()));
  });

  /** What the upstream saw for one request (its X-Seen), and the client's status and body, the same through both. */
  async function seen(host: string, path: string, headers: string[], from = "127.0.0.1"): Promise<string> {
    const all = await observeAll(proxies, [backend], getRequest(path, [`Host: ${host}`, ...headers]), { localAddress: from });
    const view = (name: string) => {
      const o = all[name];
      let header = o?.upstream[0]?.headers.find(([n]) => n.toLowerCase() === "x-seen")?.[1] ?? "-";
      // A Worker is not told the client's port: only the addresses compare there.
      if (ADAPTER === "workers") header = header.replace(/^([^|]*)\|[^|]*\|([^|]*)\|.*$/, "$1|?|$2|?");
      return `${o?.status} ${header} ${o?.body.trim() === "ri" ? "" : o?.body.trim()}`;
    };
    expect(view("edgeproxy")).toEqual(view("nginx"));
    return view("nginx");
  }

  check("takes the last X-Forwarded-For address from a trusted peer, with its port", async () => {
    expect(await seen("xff", "/", ["X-Forwarded-For: 192.0.2.1, 198.51.100.7"])).toMatch(/198\.51\.100\.7\|[^|]*\|127\.0\.0\.1\|/);
    await seen("xff", "/", ["X-Forwarded-For: 203.0.113.9:8080"]);
    await seen("xff", "/", ["X-Forwarded-For: [2001:db8::1]:443"]);
    await seen("xff", "/", ["X-Forwarded-For: 2001:DB8:0:0:1:0:0:1"]);
    await seen("xff", "/", ["X-Forwarded-For: ::ffff:192.0.2.5"]);
    await seen("xff", "/", ["X-Forwarded-For: 0:0:0:0:0:0:0:1"]);
    await seen("xff", "/", ["X-Forwarded-For: 192.0.2.1,  ,, "]);
  });

  check("reads every X-Forwarded-For line, the last one first", async () => {
    await seen("xff", "/", ["X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: 192.0.2.2"]);
    await seen("xff", "/recursive", ["X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: 10.1.1.1"]);
    await seen("xff", "/recursive", ["X-Forwarded-For: 192.0.2.1, 10.2.2.2", "X-Forwarded-For: 10.1.1.1, 10.3.3.3"]);
  });

  check("real_ip_recursive skips trusted addresses from the right, and stops at an entry that is not one", async () => {
    await seen("xff", "/recursive", ["X-Forwarded-For: 192.0.2.1, 10.0.0.2, 10.0.0.3"]);
    await seen("xff", "/recursive", ["X-Forwarded-For: 10.0.0.1, 10.0.0.2"]);
    await seen("xff", "/recursive", ["X-Forwarded-For: nonsense, 10.0.0.2"]);
    await seen("xff", "/recursive", ["X-Forwarded-For: 192.0.2.1, 198.51.100.1, 10.9.9.9"]);
    await seen("xff", "/", ["X-Forwarded-For: 192.0.2.1, 10.0.0.2"]);
  });

  check("leaves the address alone for an untrusted peer: a spoofed header changes nothing", async () => {
    expect(await seen("xff", "/", ["X-Forwarded-For: 192.0.2.66"], "127.0.0.7")).toMatch(/127\.0\.0\.7\|[^|]*\|127\.0\.0\.7\|/);
    await seen("xff", "/recursive", ["X-Forwarded-For: 10.0.0.1, 192.0.2.66"], "127.0.0.7");
    await seen("realip", "/", ["X-Real-IP: 192.0.2.66"], "127.0.1.7");
  });

  check("ignores entries that are no address, and ports out of range", async () => {
    for (const value of [
      "nonsense",
      "192.0.2.1:99999",
      "192.0.2.1:0",
      "[2001:db8::1]",
      "256.1.1.1",
      "1.2.3",
      "fe80::1%eth0",
      "192.0.2.1 :80",
      "",
    ]) {
      await seen("xff", "/", [`X-Forwarded-For: ${value}`]);
    }
  });

  check("a huge X-Forwarded-For chain from a trusted peer takes the rightmost entry, from an untrusted one nothing", async () => {
    const chain = Array.from({ length: 600 }, (_, i) => `10.${i % 250}.0.${(i % 200) + 1}`).join(", ");
    await seen("xff", "/recursive", [`X-Forwarded-For: 192.0.2.200, ${chain}`]);
    await seen("xff", "/recursive", [`X-Forwarded-For: 192.0.2.200, ${chain}`], "127.0.0.9");
  });

  check("X-Real-IP by default, any header by name", async () => {
    await seen("realip", "/", ["X-Real-IP: 192.0.2.3"], "127.0.0.3");
    await seen("realip", "/", ["X-Real-IP: 192.0.2.3, 192.0.2.4"], "127.0.0.3");
    await seen("realip", "/", ["X-Forwarded-For: 192.0.2.3"], "127.0.0.3");
    await seen("realip", "/custom", ["X-Client: 192.0.2.8:1234", "X-Real-IP: 192.0.2.3"], "127.0.0.3");
  });

  check("a header named by real_ip_header is read from its first line", async () => {
    await seen("realip", "/custom", ["X-Client: 192.0.2.8", "X-Client: 192.0.2.9"], "127.0.0.3");
  });

  check("a location's set_real_ip_from applies before access, after return", async () => {
    await seen("located", "/", ["X-Real-IP: 192.0.2.10"]);
    await seen("located", "/return", ["X-Real-IP: 192.0.2.10"]);
    await seen("xff", "/return", ["X-Forwarded-For: 192.0.2.10"]);
  });

  check("ip_hash and hash $remote_addr balance the real clients", async () => {
    const steps = Array.from({ length: 9 }, (_, i) => `192.0.${i * 7}.${i + 1}`);
    for (const path of ["/iphash", "/addrhash"]) {
      const traces = await compareTraces(
        proxies,
        hashed,
        steps.map((xff) => ({ path, headers: [`X-Forwarded-For: ${xff}`] })),
      );
      expect(new Set(traces.map((t) => t.split(" ")[1])).size).toBeGreaterThan(1);
    }
  });
});
