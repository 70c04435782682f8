import type { SourceLocation } from "../config/errors.ts";
import type { Location } from "../config/model.ts";
import type { LocationMatch } from "../route/location-match.ts";

/** `file:line`. */
export function at(source: SourceLocation): string {
  return `${source.file}:${source.line}`;
}

/** A location as written: `location = /x`, `location ~ \.php$`, or `if` for an if block. */
export function locationText(location: Location): string {
  if (location.modifier === "if") return `if block in location ${location.name}`;
  return `location ${location.modifier ? `${location.modifier} ` : ""}${location.name}`;
}

/** Why find-config took this location, in the order nginx searches (docs/nginx-semantics.md 7.4). */
export function matchRule(match: LocationMatch): string {
  if (match.kind === "none") return "no location matches: the request stays at server level";
  const text = locationText(match.location);
  if (match.kind === "redirect") return `${text} without its trailing slash: nginx's 301 to add it`;
  switch (match.location.modifier) {
    case "=":
      return `${text}, an exact match, ends the search`;
    case "^~":
      return `${text}, the longest matching prefix, is ^~: regex locations are not checked`;
    case "~":
    case "~*":
      return `${text}, the first regex location in order that matches (after the longest prefix was found)`;
    default:
      return `${text}, the longest matching prefix, no regex location matched`;
  }
}
