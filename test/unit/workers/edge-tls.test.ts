import { describe, expect, test } from "vitest";
import { loadEdgeConfig } from "../../../adapters/workers/config.ts";

/** A logger that keeps what it is told. */
function recording() {
  const lines: string[] = [];
  const log = {
    alert: (m: string) => lines.push(`alert ${m}`),
    crit: (m: string) => lines.push(`crit ${m}`),
    notice: (m: string) => lines.push(`notice ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    info: (m: string) => lines.push(`info ${m}`),
  };
  return { lines, log };
}

const CONFIG = `events {}
http {
    server {
        listen 443 ssl http2;
        listen [::]:443 ssl http2;
        server_name example.com;
        ssl_certificate /etc/letsencrypt/live/example.com/fullchain.pem;
        ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        ssl_stapling on;
        location / {
            proxy_ssl_certificate /etc/ssl/client.crt;
            proxy_ssl_certificate_key /etc/ssl/client.key;
            proxy_pass https://app.internal;
        }
    }
}
`;

// A config written for a server deploys to the edge unchanged: its TLS lines load and are noted.
describe("TLS lines on Workers", () => {
  test("load without their files, with a note that the edge terminates TLS, and one for proxy_ssl_*", () => {
    const { lines, log } = recording();
    const config = loadEdgeConfig(CONFIG, "edgeproxy.conf", log);
    expect(config.servers).toHaveLength(1);
    expect(lines).toEqual([
      'info edgeproxy.conf:3: TLS and HTTP/2 to clients are the edge\'s on Workers: "listen ... ssl", "http2" and the ssl_* lines are loaded and not used (the zone\'s certificates serve the routes)',
      "warn edgeproxy.conf:12: proxy_ssl_* is not applied on Workers: fetch makes the upstream TLS connection itself (no client certificate, the platform's CAs)",
    ]);
  });

  test("say nothing for a config without TLS", () => {
    const { lines, log } = recording();
    loadEdgeConfig("events {} http { server { listen 80; location / { return 200; } } }", "edgeproxy.conf", log);
    expect(lines).toEqual([]);
  });
});
