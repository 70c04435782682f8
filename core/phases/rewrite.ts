import type { Action, Settings } from "../config/model.ts";
import { REASON_PHRASES, REDIRECT_CODES, textResponse } from "../forward/status-page.ts";
import { absoluteUrl } from "../shape/redirect.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { NEXT, type Outcome } from "./outcome.ts";

/** nginx's server-rewrite phase: the server's own rewrite directives, before a location is chosen. */
export function serverRewrite(r: RequestContext): Outcome {
  const action = r.server.action;
  return action?.kind === "return" ? sendReturn(action, r, r.server.settings) : NEXT;
}

/** nginx's rewrite phase: the chosen location's rewrite directives. */
export function locationRewrite(r: RequestContext): Outcome {
  const location = r.location;
  const action = location?.action;
  return location && action?.kind === "return" ? sendReturn(action, r, location.settings) : NEXT;
}

/** `return` (`ngx_http_script_return_code()`, `ngx_http_send_response()`). */
function sendReturn(action: Extract<Action, { kind: "return" }>, r: RequestContext, settings: Settings): Outcome {
  if (action.status === 444) return { kind: "response", response: { kind: "close", logStatus: 444 } };
  const text = action.body ? renderTemplate(action.body, r) : null;
  if (REDIRECT_CODES.has(action.status)) {
    const location = text ?? "";
    return { kind: "status", status: action.status, location: location.startsWith("/") ? absoluteUrl(location, r, r.hadHost) : location };
  }
  if (text !== null) return { kind: "response", response: textResponse(action.status, text, settings.defaultType) };
  if (action.status >= 300 && REASON_PHRASES[action.status]) return { kind: "status", status: action.status };
  return { kind: "response", response: textResponse(action.status, "", settings.defaultType) };
}
