import type { Location } from "../config/model.ts";

/** The locations of one nesting level, indexed at load. */
interface Level {
  readonly exact: ReadonlyMap<string, Location>;
  /** Prefix and `^~` locations, longest name first. */
  readonly prefixes: readonly Location[];
  readonly regexes: readonly Location[];
  /** Prefix locations with `proxy_pass` whose name ends in `/`, by name without that `/`. */
  readonly autoRedirect: ReadonlyMap<string, Location>;
  readonly nested: ReadonlyMap<Location, Level>;
}

/** The location chosen for a URI, or the 301 nginx sends to add a trailing slash. */
export type LocationMatch =
  /** `captures`: the match of the regex location that chose it, for `$1`..`$9`. */
  | { readonly kind: "location"; readonly location: Location; readonly captures?: RegExpExecArray }
  | { readonly kind: "redirect"; readonly location: Location }
  | { readonly kind: "none" };

type Found = { rc: "final" | "prefix"; location: Location; redirect?: true; captures?: RegExpExecArray } | null;

/**
 * nginx's location search (docs/nginx-semantics.md 7.4, `ngx_http_core_find_location()`):
 * exact, longest prefix with its nested locations, then this level's regexes unless the
 * prefix carries `^~`.
 */
export class LocationMatcher {
  readonly #root: Level;

  constructor(locations: readonly Location[]) {
    this.#root = buildLevel(locations);
  }

  /** Finds the location for a normalised `$uri`. */
  match(uri: string): LocationMatch {
    const found = find(this.#root, uri);
    if (!found) return { kind: "none" };
    if (found.redirect) return { kind: "redirect", location: found.location };
    return found.captures
      ? { kind: "location", location: found.location, captures: found.captures }
      : { kind: "location", location: found.location };
  }
}

function buildLevel(locations: readonly Location[]): Level {
  const exact = new Map<string, Location>();
  const prefixes: Location[] = [];
  const regexes: Location[] = [];
  const autoRedirect = new Map<string, Location>();
  const nested = new Map<Location, Level>();
  for (const loc of locations) {
    if (loc.children.length > 0) nested.set(loc, buildLevel(loc.children));
    switch (loc.modifier) {
      case "=":
        exact.set(loc.name, loc);
        break;
      case "":
      case "^~":
        prefixes.push(loc);
        // `proxy_pass` sets nginx's auto_redirect, whatever handler comes after it.
        if (loc.proxy !== null && loc.name.length > 1 && loc.name.endsWith("/")) {
          autoRedirect.set(loc.name.slice(0, -1), loc);
        }
        break;
      case "~":
      case "~*":
        regexes.push(loc);
        break;
      case "@":
      case "if":
        break;
    }
  }
  prefixes.sort((a, b) => b.name.length - a.name.length);
  return { exact, prefixes, regexes, autoRedirect, nested };
}

function find(level: Level, uri: string): Found {
  const exact = level.exact.get(uri);
  if (exact) return { rc: "final", location: exact };
  const redirect = level.autoRedirect.get(uri);
  if (redirect) return { rc: "final", location: redirect, redirect: true };

  let candidate: Found = null;
  let noRegex = false;
  const prefix = level.prefixes.find((p) => uri.startsWith(p.name));
  if (prefix) {
    noRegex = prefix.modifier === "^~";
    const inner = level.nested.get(prefix);
    const deeper = inner ? find(inner, uri) : null;
    if (deeper?.rc === "final") return deeper;
    candidate = deeper ?? { rc: "prefix", location: prefix };
  }
  if (!noRegex) {
    for (const loc of level.regexes) {
      const match = (loc.regex as RegExp).exec(uri);
      if (match === null) continue;
      // A matching regex location still looks inside its own nested locations; the last
      // regex that matched gives the request its captures (ngx_http_regex_exec()).
      const inner = level.nested.get(loc);
      const deeper = inner ? find(inner, uri) : null;
      return { rc: "final", location: deeper?.location ?? loc, captures: deeper?.captures ?? match };
    }
  }
  return candidate;
}
