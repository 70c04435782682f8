import { compileTemplate } from "../shape/template.ts";
import { VariableScope } from "../variables/scope.ts";
import type { CompileEnv, Context, DirectiveSpec, LogFormat } from "./directive-spec.ts";
import { DIRECTIVES } from "./directives.ts";
import { ConfigError, type SourceLocation } from "./errors.ts";
import { compileHealthCheck, compileMatch } from "./health-check.ts";
import { LimitZoneRegistry } from "./limit-zones.ts";
import { checkMapHashSize, compileMap } from "./map.ts";
import type {
  AccessLog,
  Config,
  ContentHandler,
  HealthMatch,
  IfOp,
  LimitExcept,
  LimitZone,
  Listen,
  Location,
  ProxyPass,
  ResolverSetting,
  RewriteOp,
  RewriteScript,
  Server,
  Settings,
  SharedState,
  UpstreamServer,
  VariableProxyPass,
} from "./model.ts";
import { compileErrorLog } from "./modules/log.ts";
import { checkProxySsl } from "./modules/proxy-ssl.ts";
import { SCRIPT_DIRECTIVES } from "./modules/rewrite.ts";
import { checkListenCertificates, checkServerTls } from "./modules/ssl.ts";
import { CONTENT_HANDLERS } from "./modules/status.ts";
import { UNSUPPORTED } from "./modules/unsupported.ts";
import type { Directive } from "./parse.ts";
import { compileProxyPass, proxiesOverTls } from "./proxy-pass.ts";
import { compileRegex, namedGroups } from "./regex.ts";
import { checkResponseBuffering } from "./response-buffering.ts";
import { compileCondition, compileReturn, compileRewrite, compileSet } from "./rewrite.ts";
import { clientLimitsOf, DEFAULT_SETTINGS, mergeSettings, type OwnSettings } from "./settings.ts";
import { compileSharedState } from "./shared-state.ts";
import { compileUpstream, type UpstreamDraft } from "./upstream.ts";
import { parseNumber, parseTimeMs } from "./values.ts";

/** What compiling may need from the platform. */
export interface CompileOptions {
  /** Resolves a host name once, at load time; without it names are kept (the edge resolves them). */
  readonly resolveHost?: (host: string) => Promise<string[]>;
  /** Receives nginx's `[warn]` lines, such as `load balancing method redefined`. */
  readonly warn?: (message: string) => void;
  /** Where relative `ssl_*` file paths start: the main file's directory (nginx's conf prefix). */
  readonly confPrefix?: string;
}

/** nginx's predefined `combined` format. */
const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

/**
 * Compiles a directive tree into the typed model: contexts, argument counts, values, defaults
 * and inheritance, with nginx's accept/reject decisions and `FILE:LINE` errors.
 */
export async function compileConfig(tree: readonly Directive[], options: CompileOptions = {}): Promise<Config> {
  const compiler = new Compiler(options.warn ?? (() => {}), options.confPrefix ?? confPrefixOf(tree));
  const config: Config = { ...compiler.main(tree), confPrefix: compiler.confPrefix };
  // Upstreams come out of the compiler as drafts: resolution fills in their addresses.
  await resolveHosts(config.upstreams as UpstreamDraft[], options.resolveHost);
  await resolveResolvers(compiler.resolvers, options.resolveHost);
  return config;
}

/**
 * The same compilation without name resolution, synchronous: for platforms that resolve at
 * connect time (Workers), where a bad config must fail the module's first evaluation.
 */
export function compileConfigSync(
  tree: readonly Directive[],
  warn: (message: string) => void = () => {},
  confPrefix = confPrefixOf(tree),
): Config {
  return { ...new Compiler(warn, confPrefix).main(tree), confPrefix };
}

/**
 * nginx's conf prefix when the platform names none: the main config file's directory, where
 * relative file names in the config start. `-g` directives come first, from no file.
 */
function confPrefixOf(tree: readonly Directive[]): string {
  const file = tree.find((d) => d.at.file.includes("/"))?.at.file ?? "";
  const slash = file.lastIndexOf("/");
  return slash === 0 ? "/" : file.slice(0, Math.max(slash, 0));
}

class Compiler {
  readonly #warn: (m: string) => void;
  readonly #upstreams = new Map<string, UpstreamDraft>();
  readonly #implicit = new Map<string, UpstreamDraft>();
  /** `match` blocks by name, for `health_check match=` (read before the servers, as upstreams). */
  readonly #matches = new Map<string, HealthMatch>();
  /** The variables of the `http` block: `map`s, captures, built-ins (ngx_http_variables.c). */
  readonly #scope = new VariableScope();
  /** `log_format` names, `combined` predefined (ngx_http_log_module). */
  readonly #logFormats = new Map<string, LogFormat>([
    ["combined", { format: compileTemplate(COMBINED, { syntax: "log" }), escape: "default" }],
  ]);
  /** Every `resolver` line, for its names to be resolved after compiling. */
  readonly resolvers: ResolverSetting[] = [];
  /** What directive setters read besides their arguments. */
  readonly #env: CompileEnv;
  /** The `proxy_pass` of the location being walked, once it has been read. */
  #here: { readonly pass: ProxyPass | VariableProxyPass; readonly locationName: string } | null = null;
  /** The `http` block's settings, once read: the client-connection settings before a server is known. */
  #httpSettings: Settings = DEFAULT_SETTINGS;
  #limitZones: readonly LimitZone[] = [];
  #sharedState: SharedState | null = null;

  /** The main config file's directory (nginx's conf prefix), or the platform's. */
  readonly confPrefix: string;

  constructor(warn: (m: string) => void, confPrefix: string) {
    this.#warn = warn;
    this.confPrefix = confPrefix;
    this.#env = {
      warn: (m) => this.#warn(m),
      scope: this.#scope,
      logFormat: (name) => this.#logFormats.get(name) ?? null,
      zones: new LimitZoneRegistry(),
      confPrefix,
      proxyPassHere: () => this.#here,
      resolvers: this.resolvers,
    };
  }

  allUpstreams(): UpstreamDraft[] {
    return [...this.#upstreams.values(), ...this.#implicit.values()];
  }

  main(tree: readonly Directive[]): Omit<Config, "confPrefix"> {
    let workerProcesses: number | "auto" = 1;
    let workerShutdownTimeoutMs: number | null = null;
    let errorLog: Config["errorLog"] = null;
    let servers: Server[] = [];
    let hasEvents = false;
    for (const d of this.#walk(tree, "main")) {
      if (d.name === "events") {
        hasEvents = true;
        for (const _ of this.#walk(d.block ?? [], "events"));
      } else if (d.name === "http") {
        servers = this.#http(d.block ?? []);
        const buffering = checkResponseBuffering(servers);
        if (buffering) throw new ConfigError("invalid-value", buffering, d.endAt ?? d.at);
      } else if (d.name === "error_log") {
        // The first main-level error_log is the process's log, as in nginx.
        errorLog ??= compileErrorLog(d);
      } else if (d.name === "worker_processes") {
        const v = d.args[0] as string;
        workerProcesses = v === "auto" ? "auto" : (parseNumber(v) ?? invalid(d, `invalid value "${v}" in "worker_processes" directive`));
      } else if (d.name === "worker_shutdown_timeout") {
        workerShutdownTimeoutMs = time(d);
      }
    }
    const first = tree[0]?.at.file ?? "edgeproxy.conf";
    if (!hasEvents) throw new ConfigError("invalid-arguments", `no "events" section in configuration`, { file: first, line: 1 });
    return {
      servers,
      listens: bindList(servers, this.#warn),
      upstreams: this.allUpstreams(),
      workerProcesses,
      workerShutdownTimeoutMs,
      errorLog,
      ...clientLimitsOf(this.#httpSettings),
      variableSlots: this.#scope.slotCount,
      limitZones: this.#limitZones,
      ...(this.#sharedState ? { sharedState: this.#sharedState } : {}),
    };
  }

  /** Checks each directive of a block against the table and yields the ones with work left. */
  *#walk(block: readonly Directive[], ctx: Context): Generator<Directive> {
    const seen = new Set<string>();
    /** The `types` of this block: extension to type, for nginx's duplicate warning. */
    const types = new Map<string, string>();
    for (const d of block) {
      if (ctx === "types") continue;
      const spec = check(d, ctx);
      if (spec.isSingle) {
        if (seen.has(d.name)) throw new ConfigError("duplicate", `"${d.name}" directive is duplicate`, d.at);
        seen.add(d.name);
      }
      if (d.name === "types") {
        this.#types(d.block ?? [], types);
        continue;
      }
      if (spec.isIgnored) {
        spec.check?.(d);
        continue;
      }
      yield d;
    }
  }

  /** A `types` block: edgeproxy sends no files, but nginx warns of an extension given twice (ngx_http_core_type()). */
  #types(block: readonly Directive[], types: Map<string, string>): void {
    for (const d of block) {
      for (const ext of d.args) {
        const key = ext.toLowerCase();
        const previous = types.get(key);
        if (previous !== undefined) {
          this.#warn(
            `${d.at.file}:${d.at.line}: duplicate extension "${key}", content type: "${d.name}", previous content type: "${previous}"`,
          );
        }
        types.set(key, d.name);
      }
    }
  }

  #http(block: readonly Directive[]): Server[] {
    for (const d of block) {
      if (d.name !== "upstream") continue;
      check(d, "http");
      const key = (d.args[0] as string).toLowerCase();
      if (this.#upstreams.has(key)) throw new ConfigError("duplicate", `duplicate upstream "${d.args[0]}"`, d.at);
      for (const _ of this.#walk(d.block ?? [], "upstream"));
      this.#upstreams.set(key, compileUpstream(d, this.#warn, this.#scope));
    }
    for (const d of block) {
      if (d.name !== "match") continue;
      check(d, "http");
      const name = d.args[0] as string;
      if (this.#matches.has(name)) throw new ConfigError("duplicate", `duplicate match "${name}"`, d.at);
      this.#matches.set(name, compileMatch(d, this.#scope));
    }
    const own: OwnSettings = {};
    const serverBlocks: Directive[] = [];
    for (const d of this.#walk(block, "http")) {
      if (d.name === "server") serverBlocks.push(d);
      else if (d.name === "match") continue;
      else if (d.name === "edgeproxy_state") this.#sharedState = compileSharedState(d);
      else if (d.name === "log_format") this.#logFormat(d);
      else if (d.name === "map") compileMap(d, this.#scope);
      else if (d.name === "map_hash_max_size" || d.name === "map_hash_bucket_size") checkMapHashSize(d);
      else this.#setting(own, d);
    }
    const settings = mergeSettings(DEFAULT_SETTINGS, own);
    this.#httpSettings = settings;
    const servers = serverBlocks.map((d) => this.#server(d, settings));
    // Variable names resolve once the whole block is read, as ngx_http_block() does.
    this.#scope.link();
    this.#limitZones = this.#env.zones.finish();
    return servers;
  }

  #setting(own: OwnSettings, d: Directive): void {
    DIRECTIVES[d.name]?.set?.(own, d, this.#env);
  }

  /** `log_format NAME [escape=default|json|none] STRING ...` */
  #logFormat(d: Directive): void {
    const [name, ...rest] = d.args as [string, ...string[]];
    if (this.#logFormats.has(name)) throw new ConfigError("duplicate", `duplicate "log_format" name "${name}"`, d.at);
    let escaping: AccessLog["escape"] = "default";
    if (rest[0]?.startsWith("escape=")) {
      const mode = (rest.shift() as string).slice(7);
      if (mode !== "default" && mode !== "json" && mode !== "none") invalid(d, `unknown log format escaping "${mode}"`);
      escaping = mode as AccessLog["escape"];
    }
    if (rest.length === 0) throw new ConfigError("invalid-arguments", `invalid number of arguments in "log_format" directive`, d.at);
    const format = compileTemplate(rest.join(""), { scope: this.#scope, at: d.at, syntax: "log" });
    this.#logFormats.set(name, { format, escape: escaping });
  }

  #server(d: Directive, parent: Settings): Server {
    const own: OwnSettings = {};
    const listens: Server["listens"][number][] = [];
    const names: string[] = [];
    const locationBlocks: Directive[] = [];
    const script: Directive[] = [];
    let handler: ContentHandler | null = null;
    for (const child of this.#walk(d.block ?? [], "server")) {
      if (child.name === "listen") listens.push(...compileListen(child));
      else if (CONTENT_HANDLERS.has(child.name)) handler = CONTENT_HANDLERS.get(child.name) ?? null;
      else if (child.name === "server_name") for (const n of child.args) names.push(compileServerName(child, n));
      else if (child.name === "location") locationBlocks.push(child);
      else if (SCRIPT_DIRECTIVES.has(child.name)) script.push(child);
      else this.#setting(own, child);
    }
    const settings = mergeSettings(parent, own);
    checkServerTls(settings);
    const locations = this.#locations(locationBlocks, settings, null);
    if (listens.length === 0) {
      const socket: Listen = { kind: "tcp", key: "*:80", host: null, port: 80, ipv6Only: false, ssl: false, http2: false };
      listens.push({ key: "*:80", isDefault: false, socket });
    }
    return {
      at: d.at,
      listens,
      names: names.length > 0 ? names : [""],
      locations,
      script: this.#script(script, null),
      handler,
      settings,
    };
  }

  #locations(blocks: readonly Directive[], parent: Settings, outer: Location | null): Location[] {
    const out: Location[] = [];
    const literal = new Set<string>();
    for (const d of blocks) {
      const loc = this.#location(d, parent, outer);
      if (loc.modifier !== "~" && loc.modifier !== "~*") {
        // `/a` and `^~ /a` clash; `= /a` only clashes with another `= /a` (ngx_http_join_exact_locations).
        const key = `${loc.modifier === "=" ? "=" : loc.modifier === "@" ? "@" : ""}${loc.name}`;
        if (literal.has(key)) throw new ConfigError("duplicate", `duplicate location "${loc.name}"`, d.at);
        literal.add(key);
      }
      out.push(loc);
    }
    return out;
  }

  #location(d: Directive, parent: Settings, outer: Location | null): Location {
    const { modifier, name } = locationName(d);
    if (outer) {
      if (outer.modifier === "=") invalid(d, `location "${name}" cannot be inside the exact location "${outer.name}"`);
      if (outer.modifier === "@") invalid(d, `location "${name}" cannot be inside the named location "${outer.name}"`);
      if (modifier === "@") invalid(d, `named location "${name}" can be on the server level only`);
      if (modifier !== "~" && modifier !== "~*" && !name.startsWith(outer.name)) {
        invalid(d, `location "${name}" is outside location "${outer.name}"`);
      }
    }
    const regex = modifier === "~" || modifier === "~*" ? compileRegex(name, modifier === "~*", d.at) : null;
    const named = regex ? namedGroups(regex).map((group) => [group, this.#scope.defineSlot(group, d.at)] as const) : [];
    const own: OwnSettings = {};
    const nested: Directive[] = [];
    const script: Directive[] = [];
    let proxy: ProxyPass | VariableProxyPass | null = null;
    let handler: ContentHandler | null = null;
    let limitExcept: Directive | null = null;
    let isInternal = false;
    const checks: Directive[] = [];
    for (const child of this.#walk(d.block ?? [], "location")) {
      if (child.name === "location") nested.push(child);
      else if (child.name === "health_check") checks.push(child);
      else if (CONTENT_HANDLERS.has(child.name)) {
        // The last content handler of the block wins (each sets `clcf->handler`).
        handler = CONTENT_HANDLERS.get(child.name) ?? null;
        if (child.name === "proxy_pass") {
          proxy = this.#proxyPass(child, regex !== null || modifier === "@");
          // `proxy_redirect default` below it reads it (ngx_http_proxy_redirect()).
          this.#here = { pass: proxy, locationName: name };
        }
      } else if (child.name === "limit_except") limitExcept = child;
      else if (child.name === "internal") isInternal = true;
      else if (SCRIPT_DIRECTIVES.has(child.name)) script.push(child);
      else this.#setting(own, child);
    }
    this.#here = null;
    const healthChecks = checks.map((c) => {
      if (!proxy) invalid(c, `"health_check" needs a "proxy_pass" in the same location`);
      if (proxy.kind === "variable") invalid(c, `"health_check" cannot check a "proxy_pass" with variables`);
      return compileHealthCheck(c, this.#matches);
    });
    const settings = mergeSettings(parent, own);
    if (proxy && proxiesOverTls(proxy)) checkProxySsl(settings);
    const self: Location = {
      at: d.at,
      modifier,
      name,
      regex,
      named,
      children: [],
      script: null,
      handler,
      proxy,
      isInternal,
      limitExcept: null,
      settings,
      ...(healthChecks.length > 0 ? { healthChecks } : {}),
    };
    const withLimit = limitExcept ? { ...self, limitExcept: this.#limitExcept(limitExcept, self) } : self;
    const compiled = { ...withLimit, script: this.#script(script, withLimit) };
    return { ...compiled, children: this.#locations(nested, settings, compiled) };
  }

  /**
   * `limit_except METHOD ... { }` (`ngx_http_core_limit_except()`): a nested, unnamed location
   * for the other methods, inheriting every setting of the enclosing one and its `proxy_pass`
   * (`ngx_http_proxy_merge_loc_conf()`).
   */
  #limitExcept(d: Directive, enclosing: Location): LimitExcept {
    const methods = new Set<string>();
    for (const arg of d.args) {
      // The names are read in any case (ngx_strcasecmp).
      const name = arg.toUpperCase();
      if (!LIMIT_EXCEPT_METHODS.has(name)) invalid(d, `invalid method "${arg}"`);
      methods.add(name);
      if (name === "GET") methods.add("HEAD");
    }
    const own: OwnSettings = {};
    let passAt: Directive | null = null;
    for (const child of this.#walk(d.block ?? [], "limit_except")) {
      if (child.name === "proxy_pass") passAt = child;
      else this.#setting(own, child);
    }
    const proxy = passAt ? this.#proxyPass(passAt, true) : enclosing.proxy;
    const block: Location = {
      at: d.at,
      modifier: "limit_except",
      name: enclosing.name,
      regex: null,
      children: [],
      script: null,
      handler: proxy ? "proxy" : null,
      proxy,
      isInternal: false,
      limitExcept: null,
      settings: mergeSettings(enclosing.settings, own),
    };
    return { methods, block };
  }

  /** `proxy_pass URL`; a URI part is refused where nginx cannot place it. */
  #proxyPass(d: Directive, refusesUri: boolean): ProxyPass | VariableProxyPass {
    const pass = compileProxyPass(d, this.#upstreams, this.#implicit, this.#scope);
    if (pass.kind === "static" && pass.uri !== null && refusesUri) {
      invalid(
        d,
        `"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block`,
      );
    }
    return pass;
  }

  /**
   * A block's rewrite directives, in order, as nginx compiles them into one script: `if`
   * blocks inline, each with its own block for a location (null at server level).
   */
  #script(directives: readonly Directive[], location: Location | null): RewriteScript | null {
    const ops: RewriteOp[] = [];
    for (const d of directives) {
      if (d.name === "rewrite") ops.push(compileRewrite(d, this.#scope));
      else if (d.name === "return") ops.push(compileReturn(d, this.#scope));
      else if (d.name === "set") ops.push(compileSet(d, this.#scope));
      else if (d.name === "break") ops.push({ kind: "break" });
      else if (d.name === "if") ops.push(this.#if(d, location));
    }
    return ops.length > 0 ? ops : null;
  }

  /**
   * `if (...) { ... }` (`ngx_http_rewrite_if()`): at location level an unnamed location that
   * inherits every setting of the enclosing one (its `proxy_pass` too, `ngx_http_proxy_merge_loc_conf()`);
   * its rewrite directives join the enclosing script.
   */
  #if(d: Directive, enclosing: Location | null): IfOp {
    const condition = compileCondition(d, this.#scope);
    const own: OwnSettings = {};
    const script: Directive[] = [];
    let passAt: Directive | null = null;
    for (const child of this.#walk(d.block ?? [], enclosing ? "lif" : "sif")) {
      if (child.name === "proxy_pass") passAt = child;
      else if (SCRIPT_DIRECTIVES.has(child.name)) script.push(child);
      else this.#setting(own, child);
    }
    if (!enclosing) return { kind: "if", at: d.at, condition, body: this.#script(script, null) ?? [], block: null };
    const proxy = passAt ? this.#proxyPass(passAt, true) : null;
    const block: Location = {
      at: d.at,
      modifier: "if",
      name: enclosing.name,
      regex: null,
      children: [],
      script: null,
      handler: proxy ? "proxy" : null,
      proxy: proxy ?? enclosing.proxy,
      isInternal: false,
      limitExcept: null,
      settings: mergeSettings(enclosing.settings, own),
    };
    return { kind: "if", at: d.at, condition, body: this.#script(script, block) ?? [], block };
  }
}

/** The spec of a directive in this context, or nginx's error for it. */
function check(d: Directive, ctx: Context): DirectiveSpec {
  const spec = DIRECTIVES[d.name];
  if (!spec || !Object.hasOwn(DIRECTIVES, d.name)) {
    if (UNSUPPORTED.has(d.name)) throw new ConfigError("unsupported", `"${d.name}" directive is not supported by edgeproxy`, d.at);
    throw new ConfigError("unknown-directive", `unknown directive "${d.name}"`, d.at);
  }
  if (!spec.contexts.includes(ctx)) throw new ConfigError("not-allowed-here", `"${d.name}" directive is not allowed here`, d.at);
  // `server` is a block in http and a simple directive in upstream: two commands in nginx.
  const isBlock = d.name === "server" ? ctx === "http" : (spec.isBlock ?? false);
  if (isBlock && !d.block) throw new ConfigError("syntax", `directive "${d.name}" has no opening "{"`, d.at);
  if (!isBlock && d.block) throw new ConfigError("syntax", `directive "${d.name}" is not terminated by ";"`, d.at);
  const [min, max] = d.name === "server" && ctx === "upstream" ? [1, Number.POSITIVE_INFINITY] : spec.args;
  if (d.args.length < min || d.args.length > max) {
    throw new ConfigError("invalid-arguments", `invalid number of arguments in "${d.name}" directive`, d.at);
  }
  return spec;
}

function invalid(d: Directive, reason: string): never {
  throw new ConfigError("invalid-value", reason, d.at);
}

function time(d: Directive): number {
  return parseTimeMs(d.args[0] as string) ?? invalid(d, `"${d.name}" directive invalid value`);
}

const LOCATION_MODIFIERS = new Set(["=", "~", "~*", "^~"]);

/** The methods `limit_except` names (`ngx_http_core_limit_except()`'s table). */
const LIMIT_EXCEPT_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "MKCOL",
  "COPY",
  "MOVE",
  "OPTIONS",
  "PROPFIND",
  "PROPPATCH",
  "LOCK",
  "UNLOCK",
  "PATCH",
]);

function locationName(d: Directive): { modifier: Location["modifier"]; name: string } {
  if (d.args.length === 2) {
    const [mod, name] = d.args as [string, string];
    if (!LOCATION_MODIFIERS.has(mod)) invalid(d, `invalid location modifier "${mod}"`);
    return { modifier: mod as Location["modifier"], name };
  }
  const arg = d.args[0] as string;
  for (const mod of ["=", "~*", "^~", "~", "@"] as const) {
    if (arg.startsWith(mod) && arg.length > mod.length) return { modifier: mod, name: arg.slice(mod.length) };
  }
  return { modifier: "", name: arg };
}

function compileServerName(d: Directive, name: string): string {
  if (name.startsWith("~")) compileRegex(name.slice(1), true, d.at);
  else if (name.includes("*") && !/^\*\.[^*]+$/.test(name) && !/^[^*]+\.\*$/.test(name)) {
    invalid(d, `invalid server name or wildcard "${name}"`);
  }
  return name.startsWith("~") ? name : name.toLowerCase();
}

const LISTEN_FLAGS = new Set(["default_server", "default", "reuseport", "deferred", "bind"]);
const LISTEN_KEYS = new Set(["backlog=", "rcvbuf=", "sndbuf=", "fastopen=", "so_keepalive=", "ipv6only=", "accept_filter=", "setfib="]);

/** `listen ADDRESS[:PORT[-PORT]] [default_server] [...]`: one listen per port of a range. */
function compileListen(d: Directive): Server["listens"][number][] {
  const [addr, ...params] = d.args as [string, ...string[]];
  let isDefault = false;
  let ipv6Only = true;
  let ssl = false;
  let http2 = false;
  for (const p of params) {
    if (p === "default_server" || p === "default") isDefault = true;
    else if (p === "ssl") ssl = true;
    else if (p === "http2") http2 = true;
    else if (p === "quic" || p === "proxy_protocol") {
      throw new ConfigError("unsupported", `the "${p}" parameter of "listen" is not supported by edgeproxy`, d.at);
    } else if (p.startsWith("ipv6only=")) ipv6Only = p !== "ipv6only=off";
    else if (!LISTEN_FLAGS.has(p) && !LISTEN_KEYS.has(p.slice(0, p.indexOf("=") + 1))) {
      invalid(d, `invalid parameter "${p}"`);
    }
  }
  if (addr.startsWith("unix:")) {
    const path = addr.slice(5);
    if (!path) invalid(d, `invalid host in "${addr}" of the "listen" directive`);
    const key = `unix:${path}`;
    return [{ key, isDefault, socket: { kind: "unix", key, path, ssl, http2 } }];
  }
  let host: string | null = null;
  let portText = addr;
  if (addr.startsWith("[")) {
    const close = addr.indexOf("]");
    host = addr.slice(1, close);
    portText = addr.slice(close + 2) || "80";
  } else if (addr.includes(":")) {
    host = addr.slice(0, addr.lastIndexOf(":"));
    portText = addr.slice(addr.lastIndexOf(":") + 1);
  } else if (!/^\d+$/.test(addr)) {
    host = addr;
    portText = "80";
  }
  if (host === "*" || host === "0.0.0.0") host = null;
  if (host === "localhost") host = "127.0.0.1";
  // A range `LOW-HIGH` (ngx_parse_inet_url()): each port, in order.
  const dash = /^\d+-\d+$/.test(portText) ? portText.indexOf("-") : -1;
  const low = parseNumber(dash < 0 ? portText : portText.slice(0, dash));
  const high = dash < 0 ? low : parseNumber(portText.slice(dash + 1));
  if (low === null || high === null || low < 1 || high > 65535) invalid(d, `invalid port in "${addr}" of the "listen" directive`);
  if (high < low) invalid(d, `invalid port range in "${addr}" of the "listen" directive`);
  const isV6 = host?.includes(":") ?? false;
  const listens: Server["listens"][number][] = [];
  for (let port = low; port <= high; port++) {
    const key = host === null ? `*:${port}` : isV6 ? `[${host}]:${port}` : `${host}:${port}`;
    listens.push({ key, isDefault, socket: { kind: "tcp", key, host, port, ipv6Only, ssl, http2 } });
  }
  return listens;
}

/**
 * The sockets to bind: like nginx, a wildcard `*:port` (or `[::]:port`) takes the specific
 * addresses of its port and family, and routing then reads the connection's local address.
 * `ssl` and `http2` of one address are those of any of its listen lines (`ngx_http_add_addresses()`).
 */
function bindList(servers: readonly Server[], warn: (m: string) => void): Listen[] {
  const all = new Map<string, Listen>();
  const defaults = new Set<string>();
  warnConflictingNames(servers, warn);
  for (const s of servers) {
    for (const l of s.listens) {
      if (l.isDefault) {
        if (defaults.has(l.key)) throw new ConfigError("duplicate", `a duplicate default server for ${l.key}`, s.at);
        defaults.add(l.key);
      }
      const prior = all.get(l.key);
      all.set(l.key, prior ? { ...prior, ssl: prior.ssl || l.socket.ssl, http2: prior.http2 || l.socket.http2 } : l.socket);
    }
  }
  checkListenCertificates(servers);
  return [...all.values()].filter((l) => {
    if (l.kind !== "tcp" || l.host === null) return true;
    const wildcard = l.host.includes(":") ? `[::]:${l.port}` : `*:${l.port}`;
    return !all.has(wildcard);
  });
}

/**
 * nginx's `conflicting server name "x" on ADDRESS, ignored` (ngx_http_server_names()): a name two
 * servers of one address both claim; the first keeps it. `.x.test` claims `x.test` and
 * `*.x.test` both. Regex names are not compared.
 */
function warnConflictingNames(servers: readonly Server[], warn: (m: string) => void): void {
  const claimed = new Map<string, Map<string, Server>>();
  for (const s of servers) {
    for (const l of s.listens) {
      const names = claimed.get(l.key) ?? new Map<string, Server>();
      claimed.set(l.key, names);
      for (const name of s.names) {
        if (name.startsWith("~")) continue;
        const keys = name.startsWith(".") ? [name.slice(1), `*${name}`] : [name];
        for (const key of keys) {
          const owner = names.get(key);
          if (owner === undefined) names.set(key, s);
          else if (owner !== s) warn(`conflicting server name "${key}" on ${addressText(l.key)}, ignored`);
        }
      }
    }
  }
}

/** A listen key as nginx names the address in its messages: `*:80` is `0.0.0.0:80`. */
function addressText(key: string): string {
  return key.startsWith("*:") ? `0.0.0.0:${key.slice(2)}` : key;
}

/** Expands host names in upstream servers into one peer per address (2.1). */
async function resolveHosts(upstreams: readonly UpstreamDraft[], resolve: CompileOptions["resolveHost"]): Promise<void> {
  if (!resolve) return;
  for (const u of upstreams) {
    const expanded: UpstreamServer[] = [];
    for (const s of u.servers) {
      if (s.address.kind !== "tcp" || isIpLiteral(s.address.host)) {
        expanded.push(s);
        continue;
      }
      let addresses: string[];
      try {
        addresses = await resolve(s.address.host);
      } catch (cause) {
        throw new ConfigError("reference", `host not found in upstream "${s.text}"`, s.at as SourceLocation, { cause });
      }
      if (addresses.length === 0) throw new ConfigError("reference", `host not found in upstream "${s.text}"`, s.at);
      const port = s.address.port;
      for (const host of addresses) expanded.push({ ...s, address: { kind: "tcp", host, port } });
    }
    u.servers = expanded;
  }
}

/**
 * `resolver` servers given by name are resolved now, as nginx resolves them at load
 * (`ngx_resolver_create()`): `host not found in resolver "x"` otherwise.
 */
async function resolveResolvers(seen: readonly ResolverSetting[], resolve: CompileOptions["resolveHost"]): Promise<void> {
  if (!resolve) return;
  for (const resolver of seen) {
    const servers = resolver.servers as string[];
    for (let i = 0; i < servers.length; i++) {
      const server = servers[i] as string;
      const colon = server.lastIndexOf(":");
      const host = server.slice(0, colon);
      if (isIpLiteral(host) || host.startsWith("[")) continue;
      let addresses: string[];
      try {
        addresses = await resolve(host);
      } catch (cause) {
        throw new ConfigError("reference", `host not found in resolver "${host}"`, resolver.at, { cause });
      }
      const port = server.slice(colon);
      servers.splice(i, 1, ...addresses.map((a) => (a.includes(":") ? `[${a}]${port}` : `${a}${port}`)));
      i += addresses.length - 1;
    }
  }
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
