import type { Location, Server } from "../config/model.ts";
import type { Directive } from "../config/parse.ts";
import { at, locationText } from "./rules.ts";

/** One directive line that applies to a request, and the block it comes from. */
export interface AppliedDirective {
  /** The line as written, without its `;`. */
  readonly directive: string;
  readonly at: string;
  /** `http`, `server`, `location /x`, or `if block in location /x`. */
  readonly block: string;
  /** Set in an enclosing block and inherited, as nginx merges a directive nobody closer sets. */
  readonly isInherited: boolean;
}

/**
 * The rewrite module's directives: run by the block that holds them (a server's in the server
 * rewrite phase), never inherited by an inner location (`ngx_http_rewrite_merge_loc_conf()`
 * keeps a location's codes its own). `proxy_pass` and `health_check` belong to their location.
 */
const NOT_INHERITED = new Set(["rewrite", "return", "set", "break", "if", "proxy_pass", "health_check", "location"]);

/** Facts of the server block itself rather than settings its locations inherit. */
const SERVER_FACTS = new Set(["listen", "server_name"]);

/**
 * The directives of the blocks a request ran in (http, its server, its locations outermost to
 * innermost), innermost first: a block's own lines, then each line of an enclosing block whose
 * directive no closer block sets. nginx merges every directive that way, lists included
 * (`proxy_set_header` all or nothing).
 */
export function appliedDirectives(tree: readonly Directive[], server: Server, chain: readonly Location[]): AppliedDirective[] {
  const http = tree.find((d) => d.name === "http");
  const serverNode = http?.block?.find((d) => d.name === "server" && sameLine(d, server.at));
  if (!http || !serverNode) return [];
  const levels: { node: Directive; block: string }[] = [
    { node: http, block: "http" },
    { node: serverNode, block: "server" },
  ];
  for (const location of chain) {
    const node = findBlock(levels.at(-1)?.node as Directive, location);
    if (node) levels.push({ node, block: locationText(location) });
  }
  const out: AppliedDirective[] = [];
  const seen = new Set<string>();
  // An if block runs inside its location: the location's own lines apply as its own do.
  const own = levels.at(-1)?.node.name === "if" ? levels.length - 2 : levels.length - 1;
  for (let i = levels.length - 1; i >= 0; i--) {
    const { node, block } = levels[i] as { node: Directive; block: string };
    const innermost = i >= own;
    const names = new Set<string>();
    for (const d of node.block ?? []) {
      if (d.block && d.name !== "if") continue;
      // A server's rewrite directives ran in its own phase; an outer location's do not run.
      if (NOT_INHERITED.has(d.name) && !innermost && block !== "server") continue;
      if (seen.has(d.name) && !NOT_INHERITED.has(d.name)) continue;
      names.add(d.name);
      const isOwn = innermost || (block === "server" && (NOT_INHERITED.has(d.name) || SERVER_FACTS.has(d.name)));
      out.push({ directive: lineOf(d), at: at(d.at), block, isInherited: !isOwn });
    }
    for (const name of names) seen.add(name);
  }
  return out;
}

function sameLine(d: Directive, source: { file: string; line: number }): boolean {
  return d.at.file === source.file && d.at.line === source.line;
}

/** The `location` or `if` directive of a compiled location, inside `parent` (nested at any depth). */
function findBlock(parent: Directive, location: Location): Directive | null {
  for (const d of parent.block ?? []) {
    if ((d.name === "location" || d.name === "if") && sameLine(d, location.at)) return d;
  }
  for (const d of parent.block ?? []) {
    if (d.name === "if" || !d.block) continue;
    const inner = d.name === "location" ? null : findBlock(d, location);
    if (inner) return inner;
  }
  return null;
}

/** The directive as written: its arguments, quoted where they hold spaces or nothing. */
function lineOf(d: Directive): string {
  const args = d.args.map((a) => (a === "" || /[\s;{}"']/.test(a) ? JSON.stringify(a) : a));
  const text = [d.name, ...args].join(" ");
  return d.block ? `${text} { ... }` : text;
}
