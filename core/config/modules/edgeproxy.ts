import { type DirectiveSpec, single } from "../directive-spec.ts";

/** edgeproxy's own directives, for what nginx has no word for; compiled by config/shared-state.ts. */
export const EDGEPROXY_DIRECTIVES = {
  edgeproxy_state: single(["http"], 1, 2),
} satisfies Record<string, DirectiveSpec>;
