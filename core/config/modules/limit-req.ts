import { type DirectiveSpec, HSL, list, type Setter, single } from "../directive-spec.ts";
import { ConfigError } from "../errors.ts";
import type { LimitLogLevel, LimitReq } from "../model.ts";
import type { Directive } from "../parse.ts";
import { arg0, fail, flagSetting, templateOf } from "../settings.ts";
import { parseNumber, parseSize } from "../values.ts";

/** The least zone nginx takes: eight pages (`8 * ngx_pagesize`). */
export const MIN_ZONE_SIZE = 8 * 4096;

/** `excess` nginx sets for `nodelay`: `NGX_MAX_INT_T_VALUE / 1000`, so no excess is ever delayed. */
const NO_DELAY = Number.MAX_SAFE_INTEGER;

/** ngx_http_limit_req_module. */
export const LIMIT_REQ_DIRECTIVES = {
  limit_req_zone: list(["http"], 3, 3, (_own, d, env) => {
    const [keyText, ...params] = d.args as [string, ...string[]];
    let zone: { name: string; size: number } | null = null;
    let rate = 1000;
    for (const p of params) {
      if (p.startsWith("zone=")) zone = zoneParam(d, p);
      else if (p.startsWith("rate=")) rate = rateParam(d, p);
      else fail(d, `invalid parameter "${p}"`);
    }
    if (zone === null || zone.name === "") fail(d, `"${d.name}" must have "zone" parameter`);
    env.zones.declare("limit_req", zone.name, zone.size, templateOf(d, keyText, env.scope), rate, d);
  }),
  limit_req: list(HSL, 1, 3, (own, d, env) => {
    let name: string | null = null;
    let burst = 0;
    let delay = 0;
    for (const p of d.args) {
      if (p.startsWith("zone=")) name = p.slice(5);
      else if (p.startsWith("burst=")) burst = positive(p.slice(6)) ?? fail(d, `invalid burst value "${p}"`);
      else if (p.startsWith("delay=")) delay = (positive(p.slice(6)) ?? fail(d, `invalid delay value "${p}"`)) * 1000;
      else if (p === "nodelay") delay = NO_DELAY;
      else fail(d, `invalid parameter "${p}"`);
    }
    if (name === null) fail(d, `"${d.name}" must have "zone" parameter`);
    const zone = env.zones.use("limit_req", name, d);
    const prior = own.limitReqs ?? [];
    if (prior.some((l) => l.zone === zone)) throw new ConfigError("duplicate", `"${d.name}" directive is duplicate`, d.at);
    const limit: LimitReq = { zone, burst: burst * 1000, delay };
    own.limitReqs = [...prior, limit];
  }),
  limit_req_status: single(HSL, 1, 1, statusSetting("limitReqStatus")),
  limit_req_log_level: single(HSL, 1, 1, logLevelSetting("limitReqLogLevel")),
  limit_req_dry_run: single(HSL, 1, 1, flagSetting("limitReqDryRun")),
} satisfies Record<string, DirectiveSpec>;

/** `zone=NAME:SIZE` of a `*_zone` line, with nginx's words for a bad one. */
export function zoneParam(d: Directive, p: string): { name: string; size: number } {
  const colon = p.indexOf(":");
  if (colon < 0) fail(d, `invalid zone size "${p}"`);
  const size = parseSize(p.slice(colon + 1)) ?? fail(d, `invalid zone size "${p}"`);
  if (size < MIN_ZONE_SIZE) fail(d, `zone "${p}" is too small`);
  return { name: p.slice(5, colon), size };
}

/** `rate=Nr/s` or `Nr/m` (a bare N is per second), as requests per 1000 s. */
function rateParam(d: Directive, p: string): number {
  let digits = p.slice(5);
  let scale = 1;
  if (digits.endsWith("r/s")) digits = digits.slice(0, -3);
  else if (digits.endsWith("r/m")) {
    digits = digits.slice(0, -3);
    scale = 60;
  }
  const n = positive(digits) ?? fail(d, `invalid rate "${p}"`);
  return Math.floor((n * 1000) / scale);
}

/** A number above zero, as `ngx_atoi()` reads it; null otherwise. */
function positive(text: string): number | null {
  const n = parseNumber(text);
  return n !== null && n > 0 ? n : null;
}

type StatusKey = "limitReqStatus" | "limitConnStatus";
type LevelKey = "limitReqLogLevel" | "limitConnLogLevel";

/** `limit_*_status CODE`: `ngx_conf_set_num_slot` bounded to 400-599. */
export function statusSetting(key: StatusKey): Setter {
  return (own, d) => {
    const n = parseNumber(arg0(d));
    if (n === null) fail(d, `"${d.name}" directive invalid number`);
    if (n < 400 || n > 599) fail(d, "value must be between 400 and 599");
    own[key] = n;
  };
}

const LEVELS: readonly LimitLogLevel[] = ["info", "notice", "warn", "error"];

/** `limit_*_log_level info|notice|warn|error`: `ngx_conf_set_enum_slot`, any case. */
export function logLevelSetting(key: LevelKey): Setter {
  return (own, d) => {
    const level = arg0(d).toLowerCase() as LimitLogLevel;
    if (!LEVELS.includes(level)) fail(d, `invalid value "${arg0(d)}"`);
    own[key] = level;
  };
}
