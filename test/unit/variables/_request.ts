import { type Config, compileConfigSync, parseConfigText } from "../../../core/index.ts";
import type { RequestContext } from "../../../core/shape/request-context.ts";
import type { Template } from "../../../core/shape/template.ts";

/** A config with `http` contents and one server whose `location /` returns `body`. */
export function configReturning(http: string, body: string): Config {
  return compileConfigSync(parseConfigText(`events {} http { ${http} server { location / { return 200 "${body}"; } } }`));
}

/** The `return` text of the first location: the template the tests evaluate. */
export function returnTemplate(config: Config): Template {
  const action = config.servers[0]?.locations[0]?.action;
  if (action?.kind !== "return" || action.body === null) throw new Error("no return text");
  return action.body;
}

/** A request context as the proxy builds one, with these request headers and URI. */
export function request(headers: [string, string][] = [], uri = "/"): RequestContext {
  return {
    head: { method: "GET", target: uri, httpVersion: "1.1", headers, framing: { kind: "none" } },
    connection: { remoteAddress: "127.0.0.1", remotePort: 1, listenKey: "*:80", localAddress: "127.0.0.1", localPort: 80, isTls: false },
    server: { at: { file: "t", line: 1 }, listens: [], names: [""], locations: [], action: null, settings: undefined as never },
    uri,
    args: "",
    requestUri: uri,
    host: "",
    pass: null,
    exchange: { startedMs: 0, endedMs: 0, clock: { now: () => 0 }, status: 0, bodyBytes: 0, upstreams: [] },
  };
}
