import { compileTemplate } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { Balancer, PeerAddress, Sticky, Upstream, UpstreamServer } from "./model.ts";
import type { Directive } from "./parse.ts";
import { compileSticky, parseRoute } from "./sticky.ts";
import { parseNumber, parseTimeMs, parseTimeSec } from "./values.ts";

/** An upstream being built: its servers may still hold host names to resolve. */
export interface UpstreamDraft extends Upstream {
  servers: UpstreamServer[];
}

/** Parses `host`, `host:port`, `[v6]:port` or `unix:/path` (default port 80), or returns null. */
export function parseAddress(text: string, defaultPort = 80): { address: PeerAddress; hasPort: boolean } | null {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    return path ? { address: { kind: "unix", path }, hasPort: false } : null;
  }
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return null;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest && !rest.startsWith(":")) return null;
    portText = rest ? rest.slice(1) : undefined;
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") !== colon) return null;
    host = colon >= 0 ? text.slice(0, colon) : text;
    portText = colon >= 0 ? text.slice(colon + 1) : undefined;
  }
  if (!host || /[/\s]/.test(host)) return null;
  if (portText === undefined) return { address: { kind: "tcp", host, port: defaultPort }, hasPort: false };
  const port = parseNumber(portText);
  if (port === null || port < 1 || port > 65535) return null;
  return { address: { kind: "tcp", host, port }, hasPort: true };
}

/** The implicit upstream nginx creates for `proxy_pass http://host:port` (2.1). */
export function implicitUpstream(name: string, address: PeerAddress, at: Directive["at"]): UpstreamDraft {
  return {
    at,
    name,
    isImplicit: true,
    servers: [{ at, text: name, address, weight: 1, maxFails: 1, failTimeoutSec: 10, maxConns: 0, isDown: false, isBackup: false }],
    balancer: { kind: "round-robin" },
    keepalive: 0,
    keepaliveRequests: 1000,
    keepaliveTimeoutMs: 60_000,
    keepaliveTimeMs: 3600_000,
  };
}

/** Compiles an `upstream NAME {}` block (docs/nginx-semantics.md 2, 4). */
export function compileUpstream(d: Directive, log: (msg: string) => void, scope: VariableScope): UpstreamDraft {
  const name = d.args[0] as string;
  const servers: UpstreamServer[] = [];
  let balancer: Balancer = { kind: "round-robin" };
  let hasBalancer = false;
  let keepalive = 0;
  let keepaliveRequests = 1000;
  let keepaliveTimeoutMs = 60_000;
  let keepaliveTimeMs = 3600_000;
  let sticky: Sticky | null = null;
  const setBalancer = (b: Balancer, at: Directive) => {
    if (hasBalancer) log(`${at.at.file}:${at.at.line}: load balancing method redefined`);
    hasBalancer = true;
    balancer = b;
  };
  for (const child of d.block ?? []) {
    switch (child.name) {
      case "server":
        servers.push(compileServerLine(child, balancer));
        break;
      case "ip_hash":
        setBalancer({ kind: "ip_hash" }, child);
        break;
      case "least_conn":
        setBalancer({ kind: "least_conn" }, child);
        break;
      case "hash": {
        const [key, flag] = child.args as [string, string | undefined];
        if (flag !== undefined && flag !== "consistent") bad(child, `invalid parameter "${flag}"`);
        const template = compileTemplate(key, { scope, at: child.at });
        setBalancer({ kind: "hash", key: template, isConsistent: flag === "consistent" }, child);
        break;
      }
      case "random": {
        const [two, method] = child.args;
        if (two !== undefined && two !== "two") bad(child, `invalid parameter "${two}"`);
        if (method !== undefined && method !== "least_conn") bad(child, `invalid parameter "${method}"`);
        setBalancer({ kind: "random", two: two === "two" }, child);
        break;
      }
      case "keepalive": {
        const n = parseNumber(child.args[0] as string);
        if (n === null || n === 0) bad(child, `invalid value "${child.args[0]}" in "keepalive" directive`);
        keepalive = n as number;
        break;
      }
      case "keepalive_requests":
        keepaliveRequests = parseNumber(child.args[0] as string) ?? bad(child, `"keepalive_requests" directive invalid value`);
        break;
      case "keepalive_timeout":
        keepaliveTimeoutMs = parseTimeMs(child.args[0] as string) ?? bad(child, `"keepalive_timeout" directive invalid value`);
        break;
      case "keepalive_time":
        keepaliveTimeMs = parseTimeMs(child.args[0] as string) ?? bad(child, `"keepalive_time" directive invalid value`);
        break;
      case "sticky":
        sticky = compileSticky(child, scope);
        break;
    }
  }
  const endAt = d.endAt ?? d.at;
  if (servers.length === 0)
    throw new ConfigError("invalid-arguments", `no servers are inside upstream in ${d.at.file}:${d.at.line}`, endAt);
  if (servers.every((s) => s.isBackup))
    throw new ConfigError("invalid-arguments", `no servers in upstream "${name}" in ${d.at.file}:${d.at.line}`, endAt);
  return {
    at: d.at,
    name,
    isImplicit: false,
    servers,
    balancer,
    keepalive,
    keepaliveRequests,
    keepaliveTimeoutMs,
    keepaliveTimeMs,
    ...(sticky ? { sticky } : {}),
  };
}

/** `server ADDRESS [weight=N] [max_fails=N] [fail_timeout=T] [max_conns=N] [down] [backup]`. */
function compileServerLine(d: Directive, balancer: Balancer): UpstreamServer {
  if (d.args.length < 1) bad(d, `invalid number of arguments in "server" directive`);
  const [text, ...params] = d.args as [string, ...string[]];
  const parsed = parseAddress(text);
  if (!parsed) bad(d, `invalid address "${text}" in "server" directive`);
  const server: { -readonly [K in keyof UpstreamServer]: UpstreamServer[K] } = {
    at: d.at,
    text,
    address: (parsed as { address: PeerAddress }).address,
    weight: 1,
    maxFails: 1,
    failTimeoutSec: 10,
    maxConns: 0,
    isDown: false,
    isBackup: false,
  };
  const whole = `server ${d.args.join(" ")}`;
  for (const p of params) {
    const eq = p.indexOf("=");
    const key = eq < 0 ? p : p.slice(0, eq + 1);
    const value = eq < 0 ? "" : p.slice(eq + 1);
    const invalid = () => bad(d, `invalid parameter "${p}" in "${whole}"`);
    switch (key) {
      case "weight=":
        server.weight = parseNumber(value) ?? invalid();
        if (server.weight < 1) invalid();
        break;
      case "max_fails=":
        server.maxFails = parseNumber(value) ?? invalid();
        break;
      case "max_conns=":
        server.maxConns = parseNumber(value) ?? invalid();
        break;
      case "fail_timeout=":
        server.failTimeoutSec = parseTimeSec(value) ?? invalid();
        break;
      case "down":
        server.isDown = true;
        break;
      case "route=":
        server.route = parseRoute(value) ?? invalid();
        break;
      case "backup":
        // Checked against the balancer declared so far, as nginx does (2.2).
        if (balancer.kind !== "round-robin" && balancer.kind !== "least_conn") {
          bad(d, `balancing method does not support parameter "backup" in "${whole}"`);
        }
        server.isBackup = true;
        break;
      default:
        invalid();
    }
  }
  return server;
}

function bad(d: Directive, reason: string): never {
  throw new ConfigError("invalid-value", reason, d.at);
}
