import type { HeaderTest, HealthMatch } from "../config/model.ts";
import type { HeaderPairs } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";

/** nginx Plus examines only the first 256 KiB of a health check response's body. */
export const MATCH_BODY_LIMIT = 256 * 1024;

/** A health check response, as far as a `match` block reads it. */
export interface CheckedResponse {
  readonly status: number;
  readonly headers: HeaderPairs;
  /** At most the first 256 KiB. */
  readonly body: Uint8Array;
}

/** What the checks of a response found, and the step nginx Plus's log line names ("while checking body"). */
export interface MatchResult {
  readonly passed: boolean;
  readonly step: "checking status code" | "checking headers" | "checking body" | "checking variables";
}

/**
 * Whether a response passes a `match` block (every test holds), or, without one, nginx Plus's
 * default: a 2xx or 3xx status. `ctx` is the check's own request, for `require`'s variables.
 * The step is where a failing response failed, or the last one a passing response went through.
 */
export function matchResponse(match: HealthMatch | null, response: CheckedResponse, ctx: RequestContext): MatchResult {
  if (!match) return { passed: response.status >= 200 && response.status < 400, step: "checking status code" };
  let step: MatchResult["step"] = "checking status code";
  if (match.status) {
    const inRanges = match.status.ranges.some(([from, to]) => response.status >= from && response.status <= to);
    if (inRanges === match.status.isNegated) return { passed: false, step };
  }
  if (match.headers.length > 0) {
    step = "checking headers";
    if (!match.headers.every((test) => headerHolds(test, response.headers))) return { passed: false, step };
  }
  if (match.body) {
    step = "checking body";
    // Bytes as one character each, as PCRE reads them without UTF (config/regex.ts).
    const text = latin1(response.body);
    if (match.body.regex.test(text) === match.body.isNegated) return { passed: false, step };
  }
  if (match.require.length > 0) {
    step = "checking variables";
    for (const v of match.require) {
      const value = renderTemplate(v, ctx);
      if (value === "" || value === "0") return { passed: false, step };
    }
  }
  return { passed: true, step };
}

function headerHolds(test: HeaderTest, headers: HeaderPairs): boolean {
  const lower = test.name.toLowerCase();
  const value = headers.find(([name]) => name.toLowerCase() === lower)?.[1];
  switch (test.kind) {
    case "present":
      return value !== undefined;
    case "absent":
      return value === undefined;
    case "equal":
      return value !== undefined && (value === test.value) !== test.isNegated;
    case "regex":
      return value !== undefined && test.regex.test(value) !== test.isNegated;
    default: {
      const never: never = test;
      throw new Error(`unknown header test ${String(never)}`);
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}
