import type { RequestContext } from "./request-context.ts";
import { lookupVariable } from "./variables.ts";

/** Reads one variable of the current request. */
export type VariableGetter = (ctx: RequestContext) => string;

/**
 * A string with `$variables`, parsed once at load into literal and variable parts so that a
 * request only concatenates.
 */
export interface Template {
  readonly text: string;
  /** True when the template has no variables: `literal` is its value. */
  readonly isConstant: boolean;
  readonly literal: string;
  readonly parts: readonly (string | VariableGetter)[];
}

const VARIABLE = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g;

/**
 * Parses `text` with nginx's `$name` / `${name}` syntax. Throws an Error naming the variable
 * when it is unknown; the compiler words it with the directive's location.
 */
export function compileTemplate(text: string): Template {
  const parts: (string | VariableGetter)[] = [];
  let last = 0;
  for (const m of text.matchAll(VARIABLE)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const name = (m[1] ?? m[2]) as string;
    const getter = lookupVariable(name);
    if (!getter) throw new Error(`unknown "${name}" variable`);
    parts.push(getter);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const isConstant = parts.every((p) => typeof p === "string");
  return { text, isConstant, literal: isConstant ? parts.join("") : "", parts };
}

/** The template's value for this request. */
export function renderTemplate(t: Template, ctx: RequestContext): string {
  if (t.isConstant) return t.literal;
  let out = "";
  for (const p of t.parts) out += typeof p === "string" ? p : p(ctx);
  return out;
}
