import type { Config, Server } from "../config/model.ts";
import { translatePcre } from "../config/pcre.ts";

/**
 * The `listenKey` of a connection that arrived without a listen address (Workers): the server
 * is chosen by name among all servers, the first `default_server` (or first server) otherwise.
 */
export const ANY_LISTEN = "*";

/** The servers sharing one listen address, with their names indexed as nginx hashes them. */
interface AddressGroup {
  readonly defaultServer: Server;
  readonly exact: ReadonlyMap<string, Server>;
  /** `*.example.com` / `.example.com`, longest first; `suffix` is `.example.com`. */
  readonly leading: readonly { readonly suffix: string; readonly alsoBare: boolean; readonly server: Server }[];
  /** `www.example.*`, longest first; `prefix` is `www.example.`. */
  readonly trailing: readonly { readonly prefix: string; readonly server: Server }[];
  /** `~` names, with the pattern as written (the regex is its translation, config/pcre.ts). */
  readonly regexes: readonly { readonly regex: RegExp; readonly pattern: string; readonly server: Server }[];
}

/** Where a connection arrived (a ConnectionInfo): what picks its address's servers. */
export interface ArrivedAt {
  readonly listenKey: string;
  readonly localAddress: string;
  readonly localPort: number;
}

/**
 * Chooses the `server {}` for a connection and host (docs/nginx-semantics.md 7.3), from
 * tables built once at load.
 */
export class ServerSelector {
  readonly #groups = new Map<string, AddressGroup>();
  /** Each connection's group (null: no server listens there), so its later requests build no key. */
  readonly #groupOf = new WeakMap<ArrivedAt, AddressGroup | null>();
  /** Every server at once, for platforms where `listen` means nothing (the edge: routes decide). */
  readonly #anyListen: AddressGroup | null;

  constructor(config: Config) {
    const byKey = new Map<string, Server[]>();
    const defaults = new Map<string, Server>();
    for (const server of config.servers) {
      for (const l of server.listens) {
        const list = byKey.get(l.key) ?? [];
        list.push(server);
        byKey.set(l.key, list);
        if (l.isDefault) defaults.set(l.key, server);
      }
    }
    for (const [key, servers] of byKey) {
      this.#groups.set(key, buildGroup(servers, defaults.get(key) ?? (servers[0] as Server)));
    }
    const first = config.servers[0];
    const anyDefault = config.servers.find((s) => s.listens.some((l) => l.isDefault));
    this.#anyListen = first ? buildGroup(config.servers, anyDefault ?? first) : null;
  }

  /**
   * The server for a request that arrived on `localAddress:localPort` (or a unix socket key)
   * with `host` (validated, lower-case; null when the request had none).
   */
  select(at: ArrivedAt, host: string | null): Server | null {
    const group = this.#group(at);
    if (!group) return null;
    const name = host ?? "";
    const exact = group.exact.get(name);
    if (exact) return exact;
    if (host) {
      for (const w of group.leading) {
        if (name.endsWith(w.suffix) || (w.alsoBare && name === w.suffix.slice(1))) return w.server;
      }
      for (const w of group.trailing) if (name.startsWith(w.prefix)) return w.server;
      for (const r of group.regexes) if (r.regex.test(name)) return r.server;
    }
    return group.defaultServer;
  }

  /**
   * The same choice as `select`, with the rule that made it, in nginx's words (for `edgeproxy
   * explain`; never on the request path).
   */
  explain(at: ArrivedAt, host: string | null): { server: Server; rule: string } | null {
    const group = this.#group(at);
    if (!group) return null;
    const name = host ?? "";
    const exact = group.exact.get(name);
    if (exact) return { server: exact, rule: host ? `exact server_name "${name}"` : `server_name "" (a request without Host)` };
    if (host) {
      const leading = group.leading.find((w) => name.endsWith(w.suffix) || (w.alsoBare && name === w.suffix.slice(1)));
      if (leading)
        return { server: leading.server, rule: `longest leading wildcard server_name "${leading.alsoBare ? "" : "*"}${leading.suffix}"` };
      const trailing = group.trailing.find((w) => name.startsWith(w.prefix));
      if (trailing) return { server: trailing.server, rule: `longest trailing wildcard server_name "${trailing.prefix}*"` };
      const regex = group.regexes.find((r) => r.regex.test(name));
      if (regex) return { server: regex.server, rule: `first regex server_name "~${regex.pattern}" in order` };
    }
    const what = host ? `no server_name matches "${name}"` : 'no Host and no server_name ""';
    return { server: group.defaultServer, rule: `${what}: the default server of ${at.listenKey}` };
  }

  /**
   * The default server of the address a connection came to: the one whose client settings read
   * its heads, before a request names its server. Null when no server takes the address.
   */
  defaultServer(at: ArrivedAt): Server | null {
    return this.#group(at)?.defaultServer ?? null;
  }

  /**
   * The listen address a connection arrived on, as the config names it: its local address and
   * port when a server listens there, else the wildcard of its port (nginx's `addr_conf`).
   */
  addressKey(listenKey: string, localAddress: string, localPort: number): string | null {
    if (listenKey === ANY_LISTEN || listenKey.startsWith("unix:")) return this.#groups.has(listenKey) ? listenKey : null;
    const v6 = localAddress.includes(":") && !localAddress.startsWith("::ffff:");
    const addr = localAddress.startsWith("::ffff:") ? localAddress.slice(7) : localAddress;
    const exact = v6 ? `[${addr}]:${localPort}` : `${addr}:${localPort}`;
    if (this.#groups.has(exact)) return exact;
    const wildcard = v6 ? `[::]:${localPort}` : `*:${localPort}`;
    return this.#groups.has(wildcard) ? wildcard : null;
  }

  /** A connection's address group, found on its first request and kept: a connection never moves. */
  #group(at: ArrivedAt): AddressGroup | undefined {
    if (at.listenKey === ANY_LISTEN) return this.#anyListen ?? undefined;
    let group = this.#groupOf.get(at);
    if (group === undefined) {
      const key = this.addressKey(at.listenKey, at.localAddress, at.localPort);
      group = (key === null ? undefined : this.#groups.get(key)) ?? null;
      this.#groupOf.set(at, group);
    }
    return group ?? undefined;
  }
}

/** A `~` server name, checked at load (compileServerName()), caseless as nginx compiles it. */
function serverNameRegex(pattern: string): RegExp {
  const js = translatePcre(pattern, true);
  if (!js.ok) throw new Error(`server name "~${pattern}" was not checked at load`);
  return new RegExp(js.source, js.flags);
}

function buildGroup(servers: readonly Server[], defaultServer: Server): AddressGroup {
  const exact = new Map<string, Server>();
  const leading: { suffix: string; alsoBare: boolean; server: Server }[] = [];
  const trailing: { prefix: string; server: Server }[] = [];
  const regexes: { regex: RegExp; pattern: string; server: Server }[] = [];
  for (const server of servers) {
    for (const name of server.names) {
      // The first server to claim a name keeps it (nginx warns "conflicting server name").
      if (name.startsWith("~")) regexes.push({ regex: serverNameRegex(name.slice(1)), pattern: name.slice(1), server });
      else if (name.startsWith("*.")) leading.push({ suffix: name.slice(1), alsoBare: false, server });
      else if (name.startsWith(".")) leading.push({ suffix: name, alsoBare: true, server });
      else if (name.endsWith(".*")) trailing.push({ prefix: name.slice(0, -1), server });
      else if (!exact.has(name)) exact.set(name, server);
    }
  }
  leading.sort((a, b) => b.suffix.length - a.suffix.length);
  trailing.sort((a, b) => b.prefix.length - a.prefix.length);
  return { defaultServer, exact, leading, trailing, regexes };
}
