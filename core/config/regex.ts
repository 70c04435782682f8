import { ConfigError, type SourceLocation } from "./errors.ts";

/**
 * A PCRE pattern as a JS RegExp. The named-group spellings differ (`(?P<n>...)`, `(?'n'...)`
 * and `(?P=n)` become `(?<n>...)` and `\k<n>`); the rest mostly agrees, and what JS cannot
 * read is refused with the directive's line, as nginx refuses what PCRE cannot. No `u` flag:
 * values are bytes, one character each, as PCRE sees them without UTF.
 */
export function compileRegex(source: string, caseless: boolean, at: SourceLocation): RegExp {
  const js = source
    .replaceAll("(?P<", "(?<")
    .replace(/\(\?'(\w+)'/g, "(?<$1>")
    .replace(/\(\?P=(\w+)\)/g, "\\k<$1>");
  try {
    return new RegExp(js, caseless ? "i" : "");
  } catch (cause) {
    throw new ConfigError("invalid-value", `pcre_compile() failed: ${(cause as Error).message} in "${source}"`, at, { cause });
  }
}

/** The names of a compiled regex's named groups, in the order they open. */
export function namedGroups(regex: RegExp): string[] {
  // A match of the empty alternative still lists every group of the pattern, each undefined.
  const match = new RegExp(`(?:${regex.source})|`, regex.flags).exec("");
  return Object.keys(match?.groups ?? {});
}
