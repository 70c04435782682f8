/**
 * The request-target as nginx reads it (docs/nginx-semantics.md 7.1, `ngx_http_parse_complex_uri`).
 * Strings here are byte strings: one char per byte (code 0-255), as the adapters pass them.
 */

/** A parsed request-target, or null when nginx answers 400. */
export interface ParsedTarget {
  /** `$uri`: `%XX` decoded, dot segments resolved, slashes merged. */
  readonly uri: string;
  /** `$args`: the raw query, without `?`. */
  readonly args: string;
  /** `$request_uri`: the raw path, query and fragment (the absolute-form authority removed). */
  readonly requestUri: string;
  /** The raw path contained a `%` escape: nginx then re-escapes `$uri` when it rewrites it. */
  readonly isQuoted: boolean;
  /** The raw path contained a `+` (`r->plus_in_uri`). */
  readonly hasPlus: boolean;
  /** The authority of an absolute-form target (`http://host:port/p`), or null. */
  readonly host: string | null;
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** Parses and normalises a request-target; null means 400 Bad Request. */
export function parseTarget(target: string, mergeSlashes: boolean): ParsedTarget | null {
  let rest = target;
  let host: string | null = null;
  if (!rest.startsWith("/")) {
    const m = ABSOLUTE.exec(rest);
    if (!m) return null;
    host = m[1] as string;
    rest = rest.slice(m[0].length) || "/";
    if (rest.startsWith("?")) rest = `/${rest}`;
  }
  // A `#` ends the path and the query, but stays in `$request_uri`, which proxy_pass without a
  // URI part sends on as it came (ngx_http_parse_complex_uri() stops at it; unparsed_uri keeps it).
  const hash = rest.indexOf("#");
  const beforeHash = hash < 0 ? rest : rest.slice(0, hash);
  const q = beforeHash.indexOf("?");
  const rawPath = q < 0 ? beforeHash : beforeHash.slice(0, q);
  const args = q < 0 ? "" : beforeHash.slice(q + 1);
  const decoded = decodePath(rawPath);
  if (decoded === null) return null;
  const uri = normalisePath(decoded, mergeSlashes);
  if (uri === null) return null;
  return { uri, args, requestUri: rest, isQuoted: rawPath.includes("%"), hasPlus: rawPath.includes("+"), host };
}

function decodePath(path: string): string | null {
  if (!path.includes("%")) return path;
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c !== "%") {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const byte = Number.parseInt(hex, 16);
    if (byte === 0) return null;
    out += String.fromCharCode(byte);
    i += 2;
  }
  return out;
}

/** Resolves `.` and `..` and merges `//`; `..` above the root is null (400). */
function normalisePath(path: string, mergeSlashes: boolean): string | null {
  if (!path.includes("/.") && !(mergeSlashes && path.includes("//"))) return path;
  const segments = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i] as string;
    const isLast = i === segments.length - 1;
    if (seg === ".") {
      if (isLast) out.push("");
      continue;
    }
    if (seg === "..") {
      if (out.length === 0) return null;
      out.pop();
      if (isLast) out.push("");
      continue;
    }
    if (seg === "" && mergeSlashes && !isLast) continue;
    out.push(seg);
  }
  return `/${out.join("/")}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ngx_escape_uri escapes control bytes.
const ESCAPE_URI = /[\x00-\x20"#%<>?\\^`{|}\x7f-\xff]/g;

/** `ngx_escape_uri(.., NGX_ESCAPE_URI)`: percent-encodes what may not stand in a path. */
export function escapeUri(path: string): string {
  return path.replace(ESCAPE_URI, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ngx_escape_uri escapes control bytes.
const ESCAPE_ARGS = /[\x00-\x20"#%&+;<>?\\^`{|}\x7f-\xff]/g;

/** `ngx_escape_uri(.., NGX_ESCAPE_ARGS)`: percent-encodes what may not stand in an argument. */
export function escapeArgs(text: string): string {
  return text.replace(ESCAPE_ARGS, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/**
 * `ngx_unescape_uri(.., NGX_UNESCAPE_REDIRECT)`, for a rewrite's redirect: `%XX` becomes its
 * byte when that is printable and above `%`, other escapes stay, a broken one loses its `%`;
 * from a `?` on the text is left as it is.
 */
export function unescapeRedirect(text: string): string {
  if (!text.includes("%")) return text;
  let out = "";
  let state: "usual" | "quoted" | "second" = "usual";
  let high = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (state === "usual") {
      if (ch === "?") return out + text.slice(i);
      if (ch === "%") state = "quoted";
      else out += ch;
      continue;
    }
    const digit = Number.parseInt(ch, 16);
    state = state === "quoted" && !Number.isNaN(digit) ? "second" : "usual";
    if (Number.isNaN(digit)) out += ch;
    else if (state === "second") high = digit;
    else {
      const byte = high * 16 + digit;
      out += byte > 0x25 && byte < 0x7f ? String.fromCharCode(byte) : `%${text[i - 1]}${ch}`;
    }
  }
  return out;
}
