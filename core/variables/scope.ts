import { ConfigError, type SourceLocation } from "../config/errors.ts";
import type { RequestContext } from "../shape/request-context.ts";
import type { UnlinkedTemplate, VariableGetter } from "../shape/template.ts";
import { isReservedName, lookupBuiltin } from "./builtin.ts";
import { evaluateMap, type MapTable } from "./map.ts";
import { MAX_VARIABLE_DEPTH, requestVariables } from "./request-variables.ts";

/**
 * A user variable: each has a per-request slot (nginx's indexed variables).
 * - `map`: evaluated from its table on first read, kept for the request unless volatile;
 * - `slot`: a value something writes during the request, not found until then: a regex's
 *   named capture;
 * - `set`: written by `set` (ngx_http_rewrite_module); read before that, it is empty, with
 *   nginx's warning.
 */
type Definition =
  | { readonly kind: "map"; readonly slot: number; readonly map: MapTable }
  | { readonly kind: "slot"; readonly slot: number }
  | { readonly kind: "set"; readonly slot: number; readonly name: string };

/** A `$name` written in a template, bound when the scope is linked. */
interface Reference {
  readonly name: string;
  readonly template: UnlinkedTemplate;
  readonly part: number;
  readonly at: SourceLocation | null;
}

/**
 * The variables of one configuration, as nginx's `cmcf->variables`: built-ins and what the
 * config defines (`map`, named captures), by lower-case name. Templates reference names as
 * they are compiled; `link()` binds them once the whole `http` block is read, so a variable
 * may be used above the `map` that defines it, and a name nobody defines is
 * `unknown "x" variable` (`ngx_http_variables_init_vars()`).
 */
export class VariableScope {
  readonly #definitions = new Map<string, Definition>();
  readonly #references: Reference[] = [];
  #slotCount = 0;
  #linked = false;

  /** How many slots a request needs for the user variables. */
  get slotCount(): number {
    return this.#slotCount;
  }

  /**
   * `map ... $name`: a later map of the same name replaces the earlier one, as in nginx (the
   * variable keeps its slot). Fixed built-ins other than the changeable ones are refused.
   */
  defineMap(name: string, map: MapTable, at: SourceLocation): void {
    const slot = this.#claim(name, at);
    this.#definitions.set(name.toLowerCase(), { kind: "map", slot, map });
  }

  /**
   * A variable set during the request (a named capture); returns its slot. A `map` or `set`
   * of the same name keeps its kind: the capture writes its slot.
   */
  defineSlot(name: string, at: SourceLocation): number {
    const slot = this.#claim(name, at);
    const prior = this.#definitions.get(name.toLowerCase());
    if (prior?.kind !== "map" && prior?.kind !== "set") this.#definitions.set(name.toLowerCase(), { kind: "slot", slot });
    return slot;
  }

  /**
   * `set $name` (`ngx_http_rewrite_set()`): `$args` changes the request's arguments (its set
   * handler); any other name writes its slot, a `map` of that name included.
   */
  defineSet(name: string, at: SourceLocation): { readonly kind: "slot"; readonly slot: number } | { readonly kind: "args" } {
    const lower = name.toLowerCase();
    if (lower === "args") return { kind: "args" };
    const slot = this.#claim(name, at);
    const prior = this.#definitions.get(lower);
    if (prior?.kind !== "map" && prior?.kind !== "set") this.#definitions.set(lower, { kind: "set", slot, name });
    return { kind: "slot", slot };
  }

  /** Records that a template part reads `$name` (lower-case); bound by `link()`. */
  reference(name: string, template: UnlinkedTemplate, part: number, at: SourceLocation | null): void {
    if (this.#linked) throw new Error("the variable scope is already linked");
    this.#references.push({ name, template, part, at });
  }

  /**
   * Binds every reference, in the order written, to a user variable or a built-in, and lists
   * each template's volatile variables. Throws `unknown "x" variable` at the first name
   * nobody defines.
   */
  link(): void {
    this.#linked = true;
    const getters = new Map<string, VariableGetter>();
    for (const ref of this.#references) {
      const definition = this.#definitions.get(ref.name);
      let getter = getters.get(ref.name);
      if (!getter) {
        getter = definition ? this.#getter(definition) : (lookupBuiltin(ref.name) ?? undefined);
        if (!getter) throw new ConfigError("unknown-variable", `unknown "${ref.name}" variable`, ref.at);
        getters.set(ref.name, getter);
      }
      ref.template.parts[ref.part] = getter;
      if (definition?.kind === "map" && definition.map.isVolatile) addFlush(ref.template, definition.slot);
    }
  }

  #claim(name: string, at: SourceLocation): number {
    const lower = name.toLowerCase();
    if (lower === "") throw new ConfigError("invalid-value", `invalid variable name "$"`, at);
    if (isReservedName(lower)) throw new ConfigError("duplicate", `the duplicate "${name}" variable`, at);
    return this.#definitions.get(lower)?.slot ?? this.#slotCount++;
  }

  #getter(definition: Definition): VariableGetter {
    const slotCount = this.#slotCount;
    const slot = definition.slot;
    if (definition.kind === "slot") {
      const read = (ctx: RequestContext) => ctx.variables?.values[slot] ?? "";
      return Object.assign(read, { isFound: (ctx: RequestContext) => ctx.variables?.values[slot] !== undefined });
    }
    if (definition.kind === "set") return setVariable(slot, slotCount, definition.name);
    const map = definition.map;
    // ngx_http_get_indexed_variable(): the slot's value if it has one, else evaluated and kept.
    const read = (ctx: RequestContext) => {
      const vars = requestVariables(ctx, slotCount);
      const kept = vars.values[slot];
      if (kept !== undefined) return kept;
      if (vars.depth >= MAX_VARIABLE_DEPTH) return "";
      vars.depth++;
      const value = evaluateMap(map, ctx, slotCount);
      vars.depth--;
      vars.values[slot] = value;
      return value;
    };
    // A map's value is always found, empty or not (ngx_http_variable_null_value for no default).
    return Object.assign(read, { keepsEmpty: true });
  }
}

/** Lists a volatile slot the template reads, once. */
function addFlush(template: UnlinkedTemplate, slot: number): void {
  if (template.flushes === null) template.flushes = [slot];
  else if (!template.flushes.includes(slot)) template.flushes.push(slot);
}

/**
 * A `set` variable: its value, or before any `set` ran, the empty value and
 * `using uninitialized "x" variable` once per request (`ngx_http_rewrite_var()`), unless the
 * current block says `uninitialized_variable_warn off`. Always found: an empty one logs as nothing.
 */
function setVariable(slot: number, slotCount: number, name: string): VariableGetter {
  const read = (ctx: RequestContext) => {
    const vars = requestVariables(ctx, slotCount);
    const kept = vars.values[slot];
    if (kept !== undefined) return kept;
    if ((ctx.location ?? ctx.server).settings.uninitializedVariableWarn) ctx.log.warn(`using uninitialized "${name}" variable`);
    vars.values[slot] = "";
    return "";
  };
  return Object.assign(read, { keepsEmpty: true });
}
