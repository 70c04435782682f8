import type { AccessLog } from "../config/model.ts";
import type { BodyStream, ProxyResponse } from "../exchange.ts";
import type { RequestContext } from "../shape/request-context.ts";
import { renderTemplate } from "../shape/template.ts";
import { flushSlots } from "../variables/request-variables.ts";

/** Where access log lines go: the adapter appends them to files or streams, without blocking. */
export interface AccessLogSink {
  /** Appends one line (newline included) to `path` (`/dev/stdout` and `/dev/stderr` too). */
  write(path: string, line: string): void;
}

// ngx_http_log_escape(): ", \ and bytes outside 0x20-0x7e become \xHH.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the log escapes control bytes.
const DEFAULT_ESCAPE = /["\\\x00-\x1f\x7f-\xff]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the log escapes control bytes.
const JSON_ESCAPE = /["\\\x00-\x1f]/g;
const JSON_NAMED: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

/**
 * One access log line as nginx writes it (`ngx_http_log_variable()`): literal text as written,
 * each variable escaped, a variable not found as `-`. Volatile variables are evaluated afresh
 * for the line (`ngx_http_script_flush_no_cacheable_variables()`).
 */
export function formatLogLine(log: AccessLog, ctx: RequestContext): string {
  const format = log.format;
  if (format.flushes !== null) flushSlots(ctx, format.flushes);
  let line = "";
  for (const part of format.parts) {
    if (typeof part === "string") {
      line += part;
      continue;
    }
    const value = part(ctx);
    if (value === "") line += log.escape === "json" || part.keepsEmpty || part.isFound?.(ctx) ? "" : "-";
    else if (log.escape === "none") line += value;
    else if (log.escape === "json")
      line += value.replace(JSON_ESCAPE, (c) => JSON_NAMED[c] ?? `\\u00${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
    else line += value.replace(DEFAULT_ESCAPE, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  }
  return `${line}\n`;
}

/**
 * The response, counted as it is sent; when the adapter reports it done, each `access_log`
 * of the location gets its line (skipped when its `if=` is empty or "0").
 */
export function withAccessLog(
  response: ProxyResponse,
  ctx: RequestContext,
  logs: readonly AccessLog[],
  sink: AccessLogSink,
  now: () => number,
): ProxyResponse {
  const ex = ctx.exchange;
  const write = () => {
    ex.endedMs = now();
    for (const log of logs) {
      if (log.condition) {
        const v = renderTemplate(log.condition, ctx);
        if (v === "" || v === "0") continue;
      }
      sink.write(log.path, formatLogLine(log, ctx));
    }
  };
  // `$status` was set by the output filters (proxy.ts), which every logged response goes through.
  if (response.kind === "close") {
    write();
    return response;
  }
  const body = response.body;
  if (body === null || body instanceof Uint8Array) {
    ex.bodyBytes = body?.byteLength ?? 0;
    const done = response.done;
    return {
      ...response,
      done: () => {
        done?.();
        write();
      },
    };
  }
  const done = response.done;
  return {
    ...response,
    body: counted(body, ex),
    done: () => {
      done?.();
      write();
    },
  };
}

async function* counted(body: BodyStream, ex: RequestContext["exchange"]): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    ex.bodyBytes += chunk.byteLength;
    yield chunk;
  }
}
