import { noContent, REDIRECT_CODES, textResponse } from "../forward/status-page.ts";
import { runScript, type ScriptEnd } from "../rewrite/script.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { NEXT, type Outcome } from "./outcome.ts";
import type { ProxyPlan } from "./plan.ts";

/** nginx's server-rewrite phase: the server's own rewrite directives, before a location is chosen. */
export function serverRewrite(plan: ProxyPlan, r: RequestContext): Outcome {
  const script = r.server.script;
  if (!script) return NEXT;
  const end = runScript(script, r, plan.script);
  // A changed URI is looked up by the find-config phase that comes next anyway.
  return end.kind === "done" ? NEXT : outcomeOf(end, r);
}

/**
 * nginx's rewrite and post-rewrite phases: the location's rewrite directives; a URI they
 * changed looks for its location again, at most 10 times (`ngx_http_core_post_rewrite_phase()`).
 */
export function rewrite(plan: ProxyPlan, r: RequestContext): Outcome {
  const script = r.location?.script;
  if (!script) return NEXT;
  const end = runScript(script, r, plan.script);
  if (end.kind !== "done") return outcomeOf(end, r);
  if (!end.uriChanged) return NEXT;
  if (--r.uriChanges === 0) {
    r.log.error(`rewrite or internal redirection cycle while processing "${r.uri}"`);
    return { kind: "status", status: 500 };
  }
  return { kind: "restart", at: "find-config" };
}

/** A script's answer as a phase outcome. */
function outcomeOf(end: Exclude<ScriptEnd, { kind: "done" }>, r: RequestContext): Outcome {
  if (end.kind === "status") return end;
  return sendResponse(end.status, end.text, r);
}

/**
 * `return` with a response of its own (`ngx_http_send_response()`): a redirect code makes the
 * text its `Location` and finishes with nginx's page; 204 sends a bare head; other codes send
 * the text (empty without one), typed by `default_type`.
 */
function sendResponse(status: number, text: string | null, r: RequestContext): Outcome {
  if (REDIRECT_CODES.has(status)) return { kind: "status", status, location: text ?? "" };
  if (status === 204) return { kind: "response", response: noContent() };
  const type = (r.location ?? r.server).settings.defaultType;
  return { kind: "response", response: textResponse(status, text ?? "", type) };
}
