import type { Template } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import type { LimitZoneRegistry } from "./limit-zones.ts";
import type { AccessLog, ProxyPass, ResolverSetting, VariableProxyPass } from "./model.ts";
import type { Directive } from "./parse.ts";
import type { OwnSettings } from "./settings.ts";

/**
 * A block a directive can sit in. `sif` and `lif` are the insides of `if` blocks at server and
 * at location level (`NGX_HTTP_SIF_CONF`, `NGX_HTTP_LIF_CONF`), `limit_except` the inside of
 * one (`NGX_HTTP_LMT_CONF`).
 */
export type Context = "main" | "events" | "http" | "server" | "location" | "upstream" | "types" | "sif" | "lif" | "limit_except";

/** A `log_format`, for `access_log` to name. */
export interface LogFormat {
  readonly format: Template;
  readonly escape: AccessLog["escape"];
}

/** What a directive's setter may use besides its own arguments. */
export interface CompileEnv {
  /** nginx's `[warn]` lines. */
  readonly warn: (message: string) => void;
  /** The configuration's variables. */
  readonly scope: VariableScope;
  /** A `log_format` by name; null when none has that name. */
  readonly logFormat: (name: string) => LogFormat | null;
  /** The limit modules' shared memory zones. */
  readonly zones: LimitZoneRegistry;
  /** The main config file's directory (nginx's conf prefix): where relative file names start. */
  readonly confPrefix: string;
  /** The `proxy_pass` written above in this location, and the location's name; null elsewhere. */
  readonly proxyPassHere: () => { readonly pass: ProxyPass | VariableProxyPass; readonly locationName: string } | null;
  /** Every `resolver` compiled so far (their names are resolved once the config is compiled). */
  readonly resolvers: ResolverSetting[];
}

/** Writes a directive's value into the settings of the block it sits in. */
export type Setter = (own: OwnSettings, d: Directive, env: CompileEnv) => void;

/**
 * One directive, as a row of an nginx module's `ngx_command_t` table: where it may appear, how
 * many arguments it takes, and how it compiles into the block's settings (which merge down
 * the blocks, docs/nginx-semantics.md 1.6). A directive without a setter is compiled by the
 * block it shapes (`listen`, `location`, `upstream`...).
 */
export interface DirectiveSpec {
  readonly contexts: readonly Context[];
  /** `[min, max]` arguments after the name. */
  readonly args: readonly [number, number];
  readonly isBlock?: boolean;
  /** A second occurrence in one block is `"x" directive is duplicate`. */
  readonly isSingle?: boolean;
  /** Accepted for a real nginx.conf to load, with no effect here (process and tuning knobs). */
  readonly isIgnored?: boolean;
  /** For an ignored knob: its value checked as nginx checks it, or nginx's error. */
  readonly check?: (d: Directive) => void;
  readonly set?: Setter;
}

export const ANY = Number.POSITIVE_INFINITY;
/** http, server, location. */
export const HSL: readonly Context[] = ["http", "server", "location"];
/** http, server. */
export const HS: readonly Context[] = ["http", "server"];

/** A knob accepted and ignored; `check` refuses the values nginx refuses. */
export const ignored = (
  contexts: readonly Context[],
  min: number,
  max: number,
  isSingle = true,
  check?: (d: Directive) => void,
): DirectiveSpec => ({
  contexts,
  args: [min, max],
  isIgnored: true,
  isSingle,
  ...(check ? { check } : {}),
});

/** A directive that may appear once per block. */
export const single = (contexts: readonly Context[], min = 1, max = 1, set?: Setter): DirectiveSpec => ({
  contexts,
  args: [min, max],
  isSingle: true,
  ...(set ? { set } : {}),
});

/** A directive that may repeat in a block. */
export const list = (contexts: readonly Context[], min: number, max: number, set?: Setter): DirectiveSpec => ({
  contexts,
  args: [min, max],
  ...(set ? { set } : {}),
});

/** A block directive. */
export const block = (contexts: readonly Context[], min: number, max: number, isSingle = false): DirectiveSpec => ({
  contexts,
  args: [min, max],
  isBlock: true,
  isSingle,
});
