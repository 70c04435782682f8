import type { Location, RedirectSetting, Server, ValueRewrite } from "../config/model.ts";
import type { RequestContext } from "./request-context.ts";
import { compileTemplate } from "./template.ts";
import { rewriteValue } from "./value-rewrite.ts";

/** A location's `proxy_redirect` rules, resolved once at load; null when off. */
export type RedirectPlan = readonly ValueRewrite[] | null;

/**
 * Resolves `proxy_redirect` for a location (docs/nginx-semantics.md 6.8): the implicit default
 * of a static `proxy_pass` is "the `proxy_pass` URL becomes the location name", or without a
 * URI part "`URL/` becomes `/`"; a `proxy_pass` with variables has none.
 */
export function planRedirect(setting: RedirectSetting, location: Location): RedirectPlan {
  if (setting.kind === "off") return null;
  if (setting.kind === "rules") return setting.rules;
  const pass = location.proxy;
  if (pass?.kind !== "static") return null;
  const text = (t: string) => compileTemplate(t);
  if (pass.uri !== null) return [{ kind: "text", from: text(pass.url), to: text(location.name) }];
  return [{ kind: "text", from: text(`${pass.url}/`), to: text("/") }];
}

/** The rewritten value from `start` on (after `url=` in `Refresh`), or null when no rule matched. */
export function rewriteRedirect(plan: RedirectPlan, value: string, start: number, ctx: RequestContext, slotCount: number): string | null {
  return plan === null ? null : rewriteValue(plan, value, start, ctx, "prefix", slotCount);
}

/**
 * A path made absolute as nginx's header filter does for `Location`, by the settings of the
 * block the request is in: with `absolute_redirect` the client's scheme, the request's host (the
 * server's name with `server_name_in_redirect`, the local address when the request had none),
 * and with `port_in_redirect` the listening port unless it is the scheme's default. Without
 * `absolute_redirect`, the path as it is.
 */
export function absoluteUrl(path: string, ctx: RequestContext, hadHost: boolean): string {
  const settings = (ctx.location ?? ctx.server).settings;
  if (!settings.absoluteRedirect) return path;
  const scheme = ctx.connection.isTls ? "https" : "http";
  const local = ctx.connection.localAddress;
  const host = settings.serverNameInRedirect ? serverName(ctx.server) : hadHost ? ctx.host : local.includes(":") ? `[${local}]` : local;
  const port = ctx.connection.localPort;
  const isDefault = !settings.portInRedirect || ctx.connection.listenKey.startsWith("unix:") || port === (scheme === "https" ? 443 : 80);
  return `${scheme}://${host}${isDefault ? "" : `:${port}`}${path}`;
}

/** The server's name (`cscf->server_name`, `$server_name`): its first `server_name`, without a leading dot. */
export function serverName(server: Server): string {
  const first = server.names[0] ?? "";
  return first.startsWith(".") ? first.slice(1) : first;
}
