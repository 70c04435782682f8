import { type DirectiveSpec, HSL, list, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import { fail, flagSetting, templateOf } from "../settings.ts";
import { parseNumber } from "../values.ts";
import { logLevelSetting, statusSetting, zoneParam } from "./limit-req.ts";

/** ngx_http_limit_conn_module. */
export const LIMIT_CONN_DIRECTIVES = {
  limit_conn_zone: list(["http"], 2, 2, (_own, d, env) => {
    const [keyText, p] = d.args as [string, string];
    if (!p.startsWith("zone=")) fail(d, `invalid parameter "${p}"`);
    const zone = zoneParam(d, p);
    if (zone.name === "") fail(d, `"${d.name}" must have "zone" parameter`);
    env.zones.declare("limit_conn", zone.name, zone.size, templateOf(d, keyText, env.scope), 0, d);
  }),
  limit_conn: list(HSL, 2, 2, (own, d, env) => {
    const [name, number] = d.args as [string, string];
    const zone = env.zones.use("limit_conn", name, d);
    const conn = parseNumber(number);
    if (conn === null || conn <= 0) fail(d, `invalid number of connections "${number}"`);
    if (conn > 65535) fail(d, "connection limit must be less 65536");
    const prior = own.limitConns ?? [];
    if (prior.some((l) => l.zone === zone)) throw new ConfigError("duplicate", `"${d.name}" directive is duplicate`, d.at);
    own.limitConns = [...prior, { zone, conn }];
  }),
  limit_conn_status: single(HSL, 1, 1, statusSetting("limitConnStatus")),
  limit_conn_log_level: single(HSL, 1, 1, logLevelSetting("limitConnLogLevel")),
  limit_conn_dry_run: single(HSL, 1, 1, flagSetting("limitConnDryRun")),
} satisfies Record<string, DirectiveSpec>;
