import { type Config, compileConfigSync, MemoryCounters, parseConfigText } from "../../../core/index.ts";
import { newRequest } from "../../../core/phases/read.ts";
import type { RequestContext } from "../../../core/shape/request-context.ts";
import type { Template } from "../../../core/shape/template.ts";

/** A config with `http` contents and one server whose `location /` returns `body`. */
export function configReturning(http: string, body: string): Config {
  return compileConfigSync(parseConfigText(`events {} http { ${http} server { location / { return 200 "${body}"; } } }`));
}

/** The `return` text of the first location: the template the tests evaluate. */
export function returnTemplate(config: Config): Template {
  const op = config.servers[0]?.locations[0]?.script?.[0];
  if (op?.kind !== "return" || op.text === null) throw new Error("no return text");
  return op.text;
}

/** A request context as the proxy builds one, with these request headers and URI. */
export function request(headers: [string, string][] = [], uri = "/"): RequestContext {
  const head = { method: "GET", target: uri, httpVersion: "1.1", headers, framing: { kind: "none" } } as const;
  const connection = {
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    listenKey: "*:80",
    localAddress: "127.0.0.1",
    localPort: 80,
    isTls: false,
  };
  const target = { uri, args: "", requestUri: uri, isQuoted: false, hasPlus: false, host: null };
  const server = {
    at: { file: "t", line: 1 },
    listens: [],
    names: [""],
    locations: [],
    script: null,
    handler: null,
    settings: undefined as never,
  };
  const r = newRequest(
    head,
    connection,
    server,
    target,
    null,
    { caps: { clock: { now: () => 0 } }, counters: new MemoryCounters() },
    QUIET,
  );
  return { ...r, host: "" };
}

const QUIET = { alert() {}, crit() {}, error() {}, warn() {}, notice() {}, info() {} };
