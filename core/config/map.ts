import { compileTemplate, type Template } from "../shape/template.ts";
import { asciiLowerCase, type HeadWildcard, type MapRegex, type MapTable } from "../variables/map.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { Directive } from "./parse.ts";
import { compileRegex, namedGroups } from "./regex.ts";
import { parseNumber } from "./values.ts";

/** The tables of one map while its lines are read. */
interface MapDraft {
  hostnames: boolean;
  isVolatile: boolean;
  defaultValue: Template | null;
  readonly exact: Map<string, Template>;
  /** Exact keys and the names `.example.com` keys cover: what a new exact key clashes with. */
  readonly exactNames: Set<string>;
  readonly head: Map<string, HeadWildcard>;
  readonly tail: Map<string, Template>;
  readonly regexes: MapRegex[];
}

/**
 * `map STRING $variable { ... }` (ngx_http_map_module, http level): reads the block's lines,
 * with nginx's errors, and defines the variable in the scope. `include` lines were expanded
 * by the parser, as nginx's map includes its files in place.
 */
export function compileMap(d: Directive, scope: VariableScope): void {
  const [source, variable] = d.args as [string, string];
  if (!variable.startsWith("$")) throw new ConfigError("invalid-value", `invalid variable name "${variable}"`, d.at);
  const draft: MapDraft = {
    hostnames: false,
    isVolatile: false,
    defaultValue: null,
    exact: new Map(),
    exactNames: new Set(),
    head: new Map(),
    tail: new Map(),
    regexes: [],
  };
  const sourceTemplate = compileTemplate(source, { scope, at: d.at });
  for (const line of d.block ?? []) readLine(draft, line, scope);
  const table: MapTable = {
    source: sourceTemplate,
    hostnames: draft.hostnames,
    isVolatile: draft.isVolatile,
    exact: draft.exact,
    head: draft.head,
    tail: draft.tail,
    regexes: draft.regexes,
    defaultValue: draft.defaultValue,
  };
  scope.defineMap(variable.slice(1), table, d.at);
}

/** One line of the block: a parameter (`hostnames`, `volatile`) or `KEY VALUE` (`ngx_http_map()`). */
function readLine(draft: MapDraft, line: Directive, scope: VariableScope): void {
  if (line.block) throw new ConfigError("syntax", `unexpected "{"`, line.at);
  if (line.args.length === 0 && line.name === "hostnames") {
    draft.hostnames = true;
    return;
  }
  if (line.args.length === 0 && line.name === "volatile") {
    draft.isVolatile = true;
    return;
  }
  if (line.args.length !== 1) throw new ConfigError("invalid-arguments", "invalid number of the map parameters", line.at);
  const value = compileTemplate(line.args[0] as string, { scope, at: line.at });
  const key = line.name;
  if (key === "default") {
    if (draft.defaultValue) throw new ConfigError("duplicate", "duplicate default map parameter", line.at);
    draft.defaultValue = value;
    return;
  }
  if (key.startsWith("~")) {
    const caseless = key[1] === "*";
    const regex = compileRegex(key.slice(caseless ? 2 : 1), caseless, line.at);
    const named = namedGroups(regex).map((group) => [group, scope.defineSlot(group, line.at)] as const);
    draft.regexes.push({ regex, named, value });
    return;
  }
  // `\` lets a key start with `~` or be spelled like a parameter (`\default`).
  const literal = key.startsWith("\\") ? key.slice(1) : key;
  if (draft.hostnames) addHostKey(draft, literal, value, line);
  else addExactKey(draft, asciiLowerCase(literal), value, line);
}

function addExactKey(draft: MapDraft, key: string, value: Template, line: Directive): void {
  if (draft.exactNames.has(key)) conflict(key, line);
  draft.exactNames.add(key);
  draft.exact.set(key, value);
}

/**
 * A key of a `hostnames` map, sorted as `ngx_hash_add_key()` sorts wildcard keys: `.name`
 * (the name and below it), `*.name` (below it only), `name.*`, or an exact name.
 */
function addHostKey(draft: MapDraft, key: string, value: Template, line: Directive): void {
  const stars = key.split("*").length - 1;
  if (stars > 1 || key.includes("..") || key.includes("\0")) invalidHost(key, line);
  if (key.length > 1 && key.startsWith(".")) {
    const base = asciiLowerCase(key.slice(1));
    if (draft.exactNames.has(base) || draft.head.has(base)) conflict(`.${base}`, line);
    draft.exactNames.add(base);
    draft.head.set(base, { value, matchesBase: true });
  } else if (key.length > 2 && key.startsWith("*.")) {
    const base = asciiLowerCase(key.slice(2));
    if (draft.head.has(base)) conflict(`*.${base}`, line);
    draft.head.set(base, { value, matchesBase: false });
  } else if (key.length > 2 && key.endsWith(".*")) {
    const prefix = asciiLowerCase(key.slice(0, -2));
    if (draft.tail.has(prefix)) conflict(`${prefix}.*`, line);
    draft.tail.set(prefix, value);
  } else if (stars > 0) {
    invalidHost(key, line);
  } else {
    addExactKey(draft, asciiLowerCase(key), value, line);
  }
}

function conflict(key: string, line: Directive): never {
  throw new ConfigError("duplicate", `conflicting parameter "${key}"`, line.at);
}

function invalidHost(key: string, line: Directive): never {
  throw new ConfigError("invalid-value", `invalid hostname or wildcard "${key}"`, line.at);
}

/** `map_hash_max_size N` / `map_hash_bucket_size N`: a number, then no effect (JS maps need no sizing). */
export function checkMapHashSize(d: Directive): void {
  if (parseNumber(d.args[0] as string) === null) {
    throw new ConfigError("invalid-value", `"${d.name}" directive invalid number`, d.at);
  }
}
