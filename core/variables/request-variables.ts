import type { RequestContext } from "../shape/request-context.ts";

/**
 * One request's values of the config's user variables (nginx's `r->variables`): a slot per
 * variable, filled the first time it is read. Made on the first read only, so a request that
 * reads no user variable costs nothing.
 */
export interface RequestVariables {
  /** By slot: the value, or undefined while not evaluated (or, for a named capture, not set). */
  readonly values: (string | undefined)[];
  /** How deep user variables are evaluating inside one another: nginx stops cycles at 100. */
  depth: number;
}

/** nginx's `ngx_http_variable_depth`: a map that reads itself stops this many levels down. */
export const MAX_VARIABLE_DEPTH = 100;

/** The request's slots, made on first use with `slotCount` empty slots. */
export function requestVariables(ctx: RequestContext, slotCount: number): RequestVariables {
  let vars = ctx.variables;
  if (vars === undefined) {
    vars = { values: new Array<string | undefined>(slotCount).fill(undefined), depth: 0 };
    ctx.variables = vars;
  }
  return vars;
}

/** Forgets the values in `slots`, so their next read evaluates them again. */
export function flushSlots(ctx: RequestContext, slots: readonly number[]): void {
  const vars = ctx.variables;
  if (vars === undefined) return;
  for (const slot of slots) vars.values[slot] = undefined;
}

/**
 * Records a successful regex match as the request's captures (`$1`..`$9`) and writes its named
 * groups into their variables' slots (`ngx_http_regex_exec()`): an optional group that did not
 * take part is empty, yet set.
 */
export function recordMatch(
  ctx: RequestContext,
  match: RegExpExecArray,
  named: readonly (readonly [group: string, slot: number])[],
  slotCount: number,
): void {
  ctx.captures = match;
  if (named.length === 0) return;
  const values = requestVariables(ctx, slotCount).values;
  const groups = match.groups ?? {};
  for (const [group, slot] of named) values[slot] = groups[group] ?? "";
}
