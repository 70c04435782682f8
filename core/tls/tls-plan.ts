import type { Config, Server } from "../config/model.ts";
import { ServerSelector } from "../route/server-select.ts";

/** What a listen address does before HTTP (nginx's `addr_conf` and its default server). */
export interface AddressTls {
  /** The address as the config's listen lines name it (`127.0.0.1:443`, `*:443`). */
  readonly key: string;
  /** Connections begin with a TLS handshake: `listen ... ssl`, or `ssl on` in the default server. */
  readonly ssl: boolean;
  /** `listen ... http2`: h2 offered by ALPN on TLS, or spoken from the first byte (h2c) without. */
  readonly http2: boolean;
  /** The server whose certificate a handshake without SNI gets. */
  readonly defaultServer: Server;
  /** Every server listening here, in file order. */
  readonly servers: readonly Server[];
}

/** nginx's ALPN list, in its order of preference (`NGX_HTTP_V2_ALPN_PROTO`, `NGX_HTTP_ALPN_PROTOS`). */
const HTTP1_PROTOCOLS = ["http/1.1", "http/1.0", "http/0.9"];
const WITH_HTTP2 = ["h2", ...HTTP1_PROTOCOLS];

/**
 * The decisions a platform's TLS listener takes from the config before any request: whether an
 * address speaks TLS or HTTP/2, which server's certificate a handshake gets by its SNI name
 * (`ngx_http_ssl_servername()`: the same lookup as Host, exact names, wildcards, regexes, then
 * the default server), and which protocol ALPN picks (`ngx_http_ssl_alpn_select()`).
 */
export class TlsPlan {
  readonly #selector: ServerSelector;
  readonly #addresses = new Map<string, AddressTls>();

  constructor(config: Config) {
    this.#selector = new ServerSelector(config);
    const flags = new Map<string, { ssl: boolean; http2: boolean; servers: Server[] }>();
    for (const server of config.servers) {
      for (const l of server.listens) {
        const f = flags.get(l.key) ?? { ssl: false, http2: false, servers: [] };
        f.ssl ||= l.socket.ssl;
        f.http2 ||= l.socket.http2;
        f.servers.push(server);
        flags.set(l.key, f);
      }
    }
    for (const [key, f] of flags) {
      const first = f.servers[0] as Server;
      const defaultServer = f.servers.find((s) => s.listens.some((l) => l.key === key && l.isDefault)) ?? first;
      const ssl = f.ssl || defaultServer.settings.sslEnable !== null;
      this.#addresses.set(key, { key, ssl, http2: f.http2, defaultServer, servers: f.servers });
    }
  }

  /**
   * Whether every address a socket bound to `listenKey` serves is plain HTTP/1 (a wildcard
   * takes its port's addresses): its connections need no look at their local address first.
   */
  isPlainHttp1(listenKey: string): boolean {
    for (const [key, address] of this.#addresses) if ((address.ssl || address.http2) && sharesSocket(key, listenKey)) return false;
    return true;
  }

  /** The address a connection arrived on (null when no server listens there). */
  address(listenKey: string, localAddress: string, localPort: number): AddressTls | null {
    const key = this.#selector.addressKey(listenKey, localAddress, localPort);
    return key === null ? null : (this.#addresses.get(key) ?? null);
  }

  /** The server a handshake's SNI name picks on an address; without a name, or no match, its default server. */
  serverFor(address: AddressTls, serverName: string | null): Server {
    const key = address.key;
    const colon = key.lastIndexOf(":");
    const host = key.startsWith("unix:") ? "" : key.startsWith("*") ? "0.0.0.0" : key.slice(0, colon).replace(/^\[|\]$/g, "");
    const port = key.startsWith("unix:") ? 0 : Number(key.slice(colon + 1));
    const name = serverName ? serverName.toLowerCase() : null;
    return this.#selector.select({ listenKey: key, localAddress: host, localPort: port }, name) ?? address.defaultServer;
  }

  /**
   * nginx's ALPN choice: the first of its own list the client offers, h2 first when the address
   * (or, as nginx 1.25's `http2 on`, the chosen server) has HTTP/2; null when nothing matches,
   * which ends the handshake with `no_application_protocol`.
   */
  alpn(address: AddressTls, server: Server | null, offered: readonly string[]): string | null {
    const ours = address.http2 || server?.settings.http2 ? WITH_HTTP2 : HTTP1_PROTOCOLS;
    return ours.find((p) => offered.includes(p)) ?? null;
  }
}

/** Whether an address key is served by the socket bound for `listenKey`: itself, or its port's wildcard. */
function sharesSocket(key: string, listenKey: string): boolean {
  if (key === listenKey) return true;
  const port = listenKey.slice(listenKey.lastIndexOf(":"));
  if (listenKey.startsWith("*:")) return !key.startsWith("[") && !key.startsWith("unix:") && key.endsWith(port);
  if (listenKey.startsWith("[::]:")) return key.startsWith("[") && key.endsWith(port);
  return false;
}
