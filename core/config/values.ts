/**
 * nginx's value syntaxes (docs/nginx-semantics.md 1.4, `src/core/ngx_parse.c`). Each parser
 * returns null for a value nginx refuses; the caller words the error with its directive.
 */

const SIZE = /^(\d+)([kKmM]?)$/;
const OFFSET = /^(\d+)([kKmMgG]?)$/;
const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `ngx_parse_size`: digits with an optional `k` or `m`, in bytes. No `g`. */
export function parseSize(text: string): number | null {
  const m = SIZE.exec(text);
  return m ? checked(Number(m[1]) * (SIZE_UNITS[(m[2] as string).toLowerCase()] as number)) : null;
}

/** `ngx_parse_offset`: like a size, and `g` too; in bytes. */
export function parseOffset(text: string): number | null {
  const m = OFFSET.exec(text);
  return m ? checked(Number(m[1]) * (SIZE_UNITS[(m[2] as string).toLowerCase()] as number)) : null;
}

const MS_UNITS = ["w", "d", "h", "m", "s", "ms"] as const;
const SEC_UNITS = ["y", "M", "w", "d", "h", "m", "s"] as const;
const UNIT_MS: Record<string, number> = {
  y: 365 * 86400_000,
  M: 30 * 86400_000,
  w: 7 * 86400_000,
  d: 86400_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};
const TIME_ITEM = /(\d+)(ms|[yMwdhms]?) */y;

/** A `*_timeout` value (`ngx_parse_time(.., 0)`): `1m30s`, `500ms`, a bare number of seconds. */
export function parseTimeMs(text: string): number | null {
  return parseTime(text, MS_UNITS);
}

/** A seconds-flavoured time (`fail_timeout=`): `y` and `M` allowed, `ms` refused; in seconds. */
export function parseTimeSec(text: string): number | null {
  const ms = parseTime(text, SEC_UNITS);
  return ms === null ? null : ms / 1000;
}

function parseTime(text: string, units: readonly string[]): number | null {
  let total = 0;
  let lastRank = -1;
  TIME_ITEM.lastIndex = 0;
  while (TIME_ITEM.lastIndex < text.length) {
    const at = TIME_ITEM.lastIndex;
    const m = TIME_ITEM.exec(text);
    if (!m || m.index !== at) return null;
    const unit = m[2] as string;
    const isLast = TIME_ITEM.lastIndex >= text.length;
    // A bare number is only allowed last, and means seconds.
    if (unit === "" && !isLast) return null;
    const rank = unit === "" ? units.indexOf("s") : units.indexOf(unit);
    // Units strictly decreasing, each once (`30m1h` is invalid).
    if (rank < 0 || rank <= lastRank) return null;
    lastRank = rank;
    total += Number(m[1]) * (UNIT_MS[unit === "" ? "s" : unit] as number);
  }
  return lastRank < 0 ? null : checked(total);
}

/** `on`/`off` in any case, as nginx's flag slot takes them. */
export function parseFlag(text: string): boolean | null {
  const t = text.toLowerCase();
  return t === "on" ? true : t === "off" ? false : null;
}

/** Decimal digits only, as `ngx_atoi`. */
export function parseNumber(text: string): number | null {
  return /^\d+$/.test(text) ? checked(Number(text)) : null;
}

function checked(n: number): number | null {
  return Number.isSafeInteger(n) ? n : null;
}
