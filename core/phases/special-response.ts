import type { ErrorPage, Location } from "../config/model.ts";
import type { HeaderPairs, ProxyResponse } from "../exchange.ts";
import { REASON_PHRASES, statusResponse } from "../forward/status-page.ts";
import { absoluteUrl } from "../shape/redirect.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { enterLocation } from "./find-config.ts";
import type { Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";

/** What finishing with a status leads to: a response, or the phases again for an error page. */
export type Special = { readonly kind: "response"; readonly response: ProxyResponse } | Extract<Outcome, { kind: "restart" }>;

/** Statuses after which nginx keeps no connection alive (`ngx_http_special_response_handler()`). */
const CLOSES = new Set([400, 413, 414, 497, 495, 496, 500, 501]);

/** The statuses an error page may redirect with; any other becomes 302 (`ngx_http_send_error_page()`). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Finishing a request with a status (`ngx_http_finalize_request()` and
 * `ngx_http_special_response_handler()`): 444 closes the connection; otherwise the block's
 * `error_page` for the status, when one applies (the first in a request unless
 * `recursive_error_pages`, and not once the URI changed 10 times), serves the request again
 * from its URI or named location, or redirects; without one, nginx's own page.
 */
export function finishWith(plan: ProxyPlan, r: RequestContext, status: number, location?: string, headers?: HeaderPairs): Special {
  if (status === 444) return { kind: "response", response: { kind: "close", logStatus: 444 } };
  r.errStatus = status;
  if (CLOSES.has(status)) r.closesConnection = true;
  const settings = (r.location ?? r.server).settings;
  if (!r.inErrorPage && settings.errorPages.length > 0 && r.uriChanges !== 0) {
    if (!settings.recursiveErrorPages) r.inErrorPage = true;
    const page = settings.errorPages.find((p) => p.status === status);
    if (page) return sendErrorPage(plan, r, page);
  }
  return { kind: "response", response: page(r, status, location, headers) };
}

/** `ngx_http_send_error_page()`: an internal redirect to the URI, a named location, or a redirect to the URL. */
function sendErrorPage(plan: ProxyPlan, r: RequestContext, errorPage: ErrorPage): Special {
  if (errorPage.overwrite !== null) r.errStatus = errorPage.overwrite;
  const value = renderTemplate(errorPage.target, r);
  if (value.startsWith("/")) {
    let uri = value;
    let args = errorPage.args ?? "";
    if (!errorPage.target.isConstant) {
      // ngx_http_split_args(): a `?` a variable brings splits off the arguments.
      const question = value.indexOf("?");
      if (question >= 0) {
        uri = value.slice(0, question);
        args = value.slice(question + 1);
      }
    }
    if (r.method !== "HEAD") r.method = "GET";
    return internalRedirect(plan, r, uri, args);
  }
  if (value.startsWith("@")) return namedLocation(plan, r, value);
  const overwrite = errorPage.overwrite;
  r.errStatus = overwrite !== null && REDIRECTS.has(overwrite) ? overwrite : 302;
  return { kind: "response", response: page(r, r.errStatus, value) };
}

/** `ngx_http_internal_redirect()`: the request starts over at server rewrite with the new URI and arguments. */
function internalRedirect(plan: ProxyPlan, r: RequestContext, uri: string, args: string): Special {
  if (--r.uriChanges === 0) {
    r.log.error(`rewrite or internal redirection cycle while internally redirecting to "${uri}"`);
    return finishWith(plan, r, 500);
  }
  r.uri = uri;
  r.args = args;
  r.internal = true;
  r.validUnparsedUri = false;
  r.validLocation = true;
  r.pass = null;
  enterLocation(plan, r, null);
  return { kind: "restart", at: "server-rewrite" };
}

/** `ngx_http_named_location()`: the request runs the named location from its rewrite phase, URI unchanged. */
function namedLocation(plan: ProxyPlan, r: RequestContext, name: string): Special {
  if (--r.uriChanges === 0) {
    r.log.error(`rewrite or internal redirection cycle while redirect to named location "${name}"`);
    return finishWith(plan, r, 500);
  }
  const location = r.server.locations.find((l: Location) => l.modifier === "@" && `@${l.name}` === name);
  if (!location) {
    r.log.error(`could not find named location "${name}"`);
    return finishWith(plan, r, 500);
  }
  r.pass = null;
  enterLocation(plan, r, location);
  return { kind: "restart", at: "rewrite" };
}

/**
 * nginx's page for a status (`ngx_http_send_special_response()`) with the headers the phase set
 * (a 401's `WWW-Authenticate`), `Location` made absolute as the header filter does.
 */
function page(r: RequestContext, status: number, location: string | undefined, headers?: HeaderPairs): ProxyResponse {
  if (location === undefined) return statusResponse(status, headers);
  return statusResponse(status, [["Location", location.startsWith("/") ? absoluteUrl(location, r, r.hadHost) : location]]);
}

/**
 * The final response as an error page makes it: the error's status (with nginx's reason) unless
 * `=` gave the page's own, the special response's kept headers, and the connection's close.
 */
export function asErrorPage(r: RequestContext, response: ProxyResponse): ProxyResponse {
  if (response.kind !== "response") return response;
  if (r.errStatus === 0 && r.headersOut === null && !r.closesConnection) return response;
  const status = r.errStatus || response.status;
  const headers = r.headersOut ? [...response.headers.slice(0, 1), ...r.headersOut, ...response.headers.slice(1)] : response.headers;
  return {
    ...response,
    status,
    reason: r.errStatus ? (REASON_PHRASES[status] ?? "") : response.reason,
    headers,
    closeConnection: response.closeConnection || r.closesConnection,
  };
}
