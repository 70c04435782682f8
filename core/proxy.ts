import type { Capabilities } from "./capabilities.ts";
import type { Config } from "./config/model.ts";
import type { ClientBody, ConnectionInfo, ProxyResponse, RequestHead } from "./exchange.ts";
import { fetchThroughHandle } from "./fetch-entry.ts";
import { statusResponse } from "./forward/status-page.ts";
import { content } from "./phases/content.ts";
import { findConfig } from "./phases/find-config.ts";
import { logRequest } from "./phases/log.ts";
import type { Outcome } from "./phases/outcome.ts";
import { planProxy } from "./phases/plan.ts";
import { readRequest, refusedRequest } from "./phases/read.ts";
import { locationRewrite, serverRewrite } from "./phases/rewrite.ts";
import { parseTarget } from "./route/uri.ts";
import type { RequestContext } from "./shape/request-context.ts";

/** The proxy built from one configuration: two entries over the same logic (DESIGN.md). */
export interface EdgeProxy {
  /** For adapters that own their sockets: plain data in, plain data out, no Fetch objects. */
  handle(head: RequestHead, body: ClientBody, connection: ConnectionInfo): Promise<ProxyResponse>;
  /** For Fetch-native platforms and for mounting inside a Hono app. */
  fetch(request: Request, connection: ConnectionInfo): Promise<Response>;
  /**
   * Logs a request the adapter's own parser refused and answered with nginx's page for
   * `status` (`head` as far as it could be read), as nginx logs it.
   */
  refused(head: RequestHead, status: number, connection: ConnectionInfo): void;
  readonly config: Config;
}

/**
 * Builds the proxy. Tables, plans and peer groups are made here, at load (phases/plan.ts);
 * each request then runs nginx's phases in nginx's order (DESIGN.md, "The request's path"),
 * one module each under phases/.
 */
export function createProxy(config: Config, caps: Capabilities): EdgeProxy {
  const plan = planProxy(config, caps);

  async function handle(head: RequestHead, body: ClientBody, connection: ConnectionInfo): Promise<ProxyResponse> {
    const read = readRequest(plan, head, connection);
    if (read.kind === "refused") return refusal(read.status, read.request);
    const r = read.request;
    return logRequest(caps, r, finish(r, await runPhases(r, body)));
  }

  /** server rewrite, find config, rewrite, access (none yet: #17), content. */
  async function runPhases(r: RequestContext, body: ClientBody): Promise<Outcome> {
    let outcome = serverRewrite(r);
    if (outcome.kind !== "next") return outcome;
    outcome = findConfig(plan, r);
    if (outcome.kind !== "next") return outcome;
    outcome = locationRewrite(r);
    if (outcome.kind !== "next") return outcome;
    return content(plan, r, body);
  }

  /** A refusal of the read phase: nginx's page, logged when a server takes the address. */
  function refusal(status: number, r: RequestContext | null): ProxyResponse {
    const response = statusResponse(status);
    return r ? logRequest(caps, r, response) : response;
  }

  const fetchSetup = { rules: config, log: caps.log, webSockets: caps.webSockets ?? null };
  return {
    config,
    handle,
    fetch: (request, connection) =>
      fetchThroughHandle(
        handle,
        (status, head, conn) => refusal(status, refusedRequest(plan, head, conn, parseTarget(head.target, config.mergeSlashes))),
        request,
        connection,
        fetchSetup,
      ),
    refused: (head, status, connection) => {
      const response = refusal(status, refusedRequest(plan, head, connection, parseTarget(head.target, config.mergeSlashes)));
      if (response.kind === "response") response.done?.();
    },
  };
}

/** The response for a phase's outcome: nginx's own page for a status, or the one made. */
function finish(r: RequestContext, outcome: Outcome): ProxyResponse {
  switch (outcome.kind) {
    case "response":
      return outcome.response;
    case "status":
      return statusResponse(outcome.status, outcome.location === undefined ? [] : [["Location", outcome.location]]);
    case "next":
      // The content phase always ends the request; this is a bug.
      throw new Error(`request for "${r.uri}" passed every phase unanswered`);
  }
}
