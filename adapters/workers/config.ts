import {
  type Config,
  ConfigError,
  type ConfigSource,
  compileConfigSync,
  type Location,
  type Logger,
  parseConfig,
  type RewriteScript,
  type Settings,
  type SourceLocation,
  type Sticky,
} from "../../core/index.ts";

/**
 * The bundled nginx config for the edge, compiled once per isolate. What Workers cannot do is
 * refused here with the line that asks for it: unix-socket upstreams, `include` (only one
 * file ships in the bundle), `if (-f ...)` and its kin (no file system), and `sticky learn`
 * (isolates share no memory).
 */
export function loadEdgeConfig(text: string, name: string, log: Logger, files: Readonly<Record<string, string>> | null = null): Config {
  const source: ConfigSource = {
    read: (path) => {
      if (path === name) return text;
      throw new Error("include is not available on Workers: only the one config file is bundled, inline the included file");
    },
    glob: () => {
      throw new Error("include is not available on Workers: only the one config file is bundled, inline the included files");
    },
  };
  const config = compileConfigSync(parseConfig(name, source), (m) => log.warn(m));
  if (config.sharedState) {
    const at = config.sharedState.at;
    log.warn(
      `${at.file}:${at.line}: "edgeproxy_state" is ignored on Workers: isolates share peer health through Workers KV or a Durable Object`,
    );
  }
  for (const server of config.servers) {
    refuseFileTests(server.script);
    server.locations.forEach(refuseInLocation);
  }
  // The bundle carries the user files it names; a Worker written by hand passes them in `files`.
  if (files !== null) {
    for (const path of userFilePaths(config)) {
      if (!Object.hasOwn(files, path.path)) {
        throw new ConfigError(
          "unsupported",
          `auth_basic_user_file "${path.path}" is not bundled with the Worker: pass it in the "files" option`,
          path.at,
        );
      }
    }
  }
  for (const upstream of config.upstreams) {
    refuseLearnedSessions(upstream.sticky);
    for (const server of upstream.servers) {
      const a = server.address;
      if (a.kind === "unix") {
        throw new ConfigError("unsupported", `unix sockets are not available on Cloudflare Workers in "server ${server.text}"`, server.at);
      }
      if (/^[\d.]+$|:/.test(a.host)) {
        log.warn(
          `${server.at.file}:${server.at.line}: upstream "${server.text}" is an IP address: Cloudflare's fetch refuses bare IPs in production (loopback works in local dev); use a host name`,
        );
      }
    }
  }
  noteEdgeTls(config, log);
  return config;
}

/** `sticky learn` keeps sessions in one isolate's memory: a client's next request may reach another isolate. */
function refuseLearnedSessions(sticky: Sticky | undefined): void {
  if (sticky?.kind !== "learn") return;
  throw new ConfigError(
    "unsupported",
    `"sticky learn" keeps its sessions in memory, which Cloudflare Workers isolates do not share: use "sticky cookie" or "sticky route", which carry the peer in the request`,
    sticky.at,
  );
}

function refuseInLocation(location: Location): void {
  refuseFileTests(location.script);
  location.children.forEach(refuseInLocation);
}

/** `if (-f ...)`, `-d`, `-e`, `-x` and their `!` forms read files, which a Worker has none of. */
function refuseFileTests(script: RewriteScript | null): void {
  for (const op of script ?? []) {
    if (op.kind !== "if") continue;
    const c = op.condition;
    if (c.kind === "file") {
      const test = `${c.isNegated ? "!" : ""}-${c.test}`;
      throw new ConfigError(
        "unsupported",
        `the "${test}" condition of "if" needs a file system, which Cloudflare Workers do not have`,
        op.at,
      );
    }
    refuseFileTests(op.body);
  }
}

/**
 * The edge terminates TLS and speaks HTTP/2 and 3 itself, with the zone's certificates: a
 * server's `listen ... ssl`, `http2` and `ssl_*` lines load, so one config serves a server and
 * the edge, and are said once not to apply. `fetch` makes upstream TLS itself too.
 */
function noteEdgeTls(config: Config, log: Logger): void {
  const tls = config.servers.find(
    (s) => s.listens.some((l) => l.socket.ssl || l.socket.http2) || s.settings.sslCertificates.length > 0 || s.settings.http2,
  );
  if (tls) {
    log.info(
      `${tls.at.file}:${tls.at.line}: TLS and HTTP/2 to clients are the edge's on Workers: "listen ... ssl", "http2" and the ssl_* lines are loaded and not used (the zone's certificates serve the routes)`,
    );
  }
  const clientCert = config.servers.flatMap((s) => s.locations).find((l) => l.settings.proxySslCertificate !== null);
  if (clientCert) {
    log.warn(
      `${clientCert.at.file}:${clientCert.at.line}: proxy_ssl_* is not applied on Workers: fetch makes the upstream TLS connection itself (no client certificate, the platform's CAs)`,
    );
  }
}

/**
 * The `auth_basic_user_file` files a config reads, as paths (relative ones from the config's
 * directory). A name with variables is refused: only the files known at load are bundled.
 */
export function userFilePaths(config: Config): { readonly path: string; readonly at: SourceLocation }[] {
  const out = new Map<string, SourceLocation>();
  const visit = (settings: Settings) => {
    const f = settings.authBasicUserFile;
    if (f === null) return;
    if (!f.file.isConstant) {
      throw new ConfigError(
        "unsupported",
        "auth_basic_user_file with variables needs a file system, which Cloudflare Workers do not have",
        f.at,
      );
    }
    const path = f.file.literal.startsWith("/") ? f.file.literal : f.prefix + f.file.literal;
    if (!out.has(path)) out.set(path, f.at);
  };
  const visitLocation = (location: Location) => {
    visit(location.settings);
    location.children.forEach(visitLocation);
    if (location.limitExcept) visitLocation(location.limitExcept.block);
    for (const op of location.script ?? []) if (op.kind === "if" && op.block) visitLocation(op.block);
  };
  for (const server of config.servers) {
    visit(server.settings);
    server.locations.forEach(visitLocation);
  }
  return [...out].map(([path, at]) => ({ path, at }));
}
