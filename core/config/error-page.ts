import { compileTemplate } from "../shape/template.ts";
import type { VariableScope } from "../variables/scope.ts";
import { ConfigError } from "./errors.ts";
import type { ErrorPage } from "./model.ts";
import type { Directive } from "./parse.ts";
import { parseNumber } from "./values.ts";

/**
 * `error_page CODE... [=[RESPONSE]] URI|@name|URL` (`ngx_http_core_error_page()`): one page per
 * status. A constant URI's `?` splits off its arguments at load.
 */
export function compileErrorPage(d: Directive, scope: VariableScope): ErrorPage[] {
  const fail = (reason: string): never => {
    throw new ConfigError("invalid-value", reason, d.at);
  };
  const words = d.args;
  const last = words.length - 1;
  const answer = words[last - 1] as string;
  let overwrite: number | null = null;
  let codes = last;
  if (answer.startsWith("=")) {
    if (last === 1) fail(`invalid value "${answer}"`);
    overwrite = answer.length > 1 ? (parseNumber(answer.slice(1)) ?? fail(`invalid value "${answer}"`)) : 0;
    codes = last - 1;
  }
  const uri = words[last] as string;
  let target = compileTemplate(uri, { scope, at: d.at });
  let args: string | null = null;
  const question = uri.indexOf("?");
  if (target.isConstant && uri.startsWith("/") && question >= 0) {
    target = compileTemplate(uri.slice(0, question), { scope, at: d.at });
    args = uri.slice(question + 1);
  }
  const pages: ErrorPage[] = [];
  for (const word of words.slice(0, codes)) {
    const status = parseNumber(word);
    if (status === null || status === 499) fail(`invalid value "${word}"`);
    if ((status as number) < 300 || (status as number) > 599) fail(`value "${word}" must be between 300 and 599`);
    // Statuses nginx sends as 400 keep that when no `=` says otherwise (497, 495, 496, 494).
    const own = overwrite === null && [494, 495, 496, 497].includes(status as number) ? 400 : overwrite;
    pages.push({ status: status as number, overwrite: own, target, args });
  }
  return pages;
}
