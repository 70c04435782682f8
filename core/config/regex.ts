import { ConfigError, type SourceLocation } from "./errors.ts";
import { translatePcre } from "./pcre.ts";

/**
 * A PCRE pattern as nginx compiles it (ngx_regex_compile()), as a JS RegExp that matches the
 * same bytes (config/pcre.ts translates). What PCRE refuses is refused in its words, with the
 * directive's line; what PCRE accepts and JS cannot do says it is not supported by edgeproxy.
 */
export function compileRegex(source: string, caseless: boolean, at: SourceLocation): RegExp {
  const js = translatePcre(source, caseless);
  if (!js.ok) {
    if (js.unsupported) throw new ConfigError("unsupported", `${js.reason} in "${source}" is not supported by edgeproxy`, at);
    throw new ConfigError("invalid-value", `pcre2_compile() failed: ${js.reason} in "${source}"`, at);
  }
  try {
    return new RegExp(js.source, js.flags);
  } catch (cause) {
    // "Invalid regular expression: /(/: Unterminated group": the reason after the pattern.
    const reason = (cause as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
    throw new ConfigError("invalid-value", `pcre2_compile() failed: ${reason} in "${source}"`, at, { cause });
  }
}

/** The names of a compiled regex's named groups, in the order they open. */
export function namedGroups(regex: RegExp): string[] {
  // A match of the empty alternative still lists every group of the pattern, each undefined.
  const match = new RegExp(`(?:${regex.source})|`, regex.flags).exec("");
  return Object.keys(match?.groups ?? {});
}
