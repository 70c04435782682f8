import { createHash } from "node:crypto";
import { expect } from "vitest";
import { type Backend, type Reply, type SeenRequest, startBackend } from "../support/backend.ts";
import { rawRequest } from "../support/client.ts";
import type { RunningProxy } from "../support/proxies.ts";

/** One client request of a scenario, and what happens before it. */
export interface Step {
  readonly path?: string;
  readonly method?: string;
  readonly body?: string;
  /** Loopback source address (ip_hash): 127.x.y.z, or ::1 through the proxy's [::1] listener. */
  readonly from?: string;
  /** Wait this long first (fail_timeout scenarios). */
  readonly waitMs?: number;
  /** Change backend behaviour first. */
  readonly before?: () => void;
  /** Send without waiting for the answer (in-flight requests for least_conn). */
  readonly background?: boolean;
  /** More header lines (`X-Forwarded-For: ...`). */
  readonly headers?: readonly string[];
}

/** Named backends a..z that tag their replies and record every request. */
export async function startBackends(names: string): Promise<Record<string, Backend>> {
  const out: Record<string, Backend> = {};
  for (const name of names) out[name] = await startBackend(name);
  return out;
}

export const ok = (): Reply => ({ body: "ok\n" });
export const status =
  (code: number): (() => Reply) =>
  () => ({ status: code, body: `status ${code}\n` });
export const reset = (): Reply => ({ reset: true });
export const hang = (): Reply => ({ hang: true });
export const slow =
  (ms: number): (() => Reply) =>
  () => ({ body: "slow\n", delayMs: ms });

/** Waits until just after a whole second, so that fail_timeout windows line up in both runs. */
export async function alignToSecond(): Promise<void> {
  const ms = Date.now() % 1000;
  await new Promise((r) => setTimeout(r, 1000 - ms + 30));
}

/**
 * Runs the steps through one proxy and describes each request: the status, the backend that
 * answered, and every backend attempt in order (`200 b [a b]`). Backends are reset first.
 */
export async function trace(
  proxy: RunningProxy,
  backends: Record<string, Backend>,
  steps: readonly Step[],
  initial: Record<string, () => Reply>,
  options: { align?: boolean } = {},
): Promise<string[]> {
  for (const [name, b] of Object.entries(backends)) {
    b.seen.length = 0;
    b.reply = initial[name] ?? ok;
  }
  if (options.align) await alignToSecond();
  const run = `${proxy.name}-${Date.now()}`;
  const out: string[] = [];
  const pending: Promise<unknown>[] = [];
  for (const [i, step] of steps.entries()) {
    if (step.waitMs) await new Promise((r) => setTimeout(r, step.waitMs));
    step.before?.();
    const id = `${run}-${i}`;
    const body = step.body ?? "";
    const head = [
      `${step.method ?? "GET"} ${step.path ?? "/"} HTTP/1.1`,
      "Host: t",
      `X-Req: ${id}`,
      ...(step.headers ?? []),
      "Connection: close",
    ];
    if (step.body !== undefined) head.push(`Content-Length: ${Buffer.byteLength(body)}`);
    const sent = rawRequest(
      proxy.port,
      `${head.join("\r\n")}\r\n\r\n${body}`,
      step.from ? { localAddress: step.from, timeoutMs: 20_000 } : { timeoutMs: 20_000 },
    );
    if (step.background) {
      pending.push(sent);
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const res = await sent;
    await new Promise((r) => setTimeout(r, 10));
    const attempts = Object.values(backends)
      .flatMap((b) => b.seen.filter((s) => header(s, "x-req") === id))
      .sort((x, y) => x.completedAt - y.completedAt);
    const by = res.headers.find(([n]) => n.toLowerCase() === "x-backend")?.[1] ?? "-";
    const tags = attempts.map((s) => tagOf(backends, s));
    // Bodies as length and digest: what arrived, without printing megabytes.
    const bodies =
      step.body !== undefined
        ? ` bodies=${attempts.map((s) => `${s.body.length}:${createHash("sha1").update(s.body).digest("hex").slice(0, 8)}`).join("|")}`
        : "";
    out.push(`${res.status} ${by} [${tags.join(" ")}]${bodies}`);
  }
  await Promise.all(pending);
  return out;
}

function header(s: SeenRequest, name: string): string | undefined {
  return s.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function tagOf(backends: Record<string, Backend>, s: SeenRequest): string {
  for (const [name, b] of Object.entries(backends)) if (b.seen.includes(s)) return name;
  return "?";
}

/** `n` copies of a step. */
export function times(n: number, step: Step = {}): Step[] {
  return Array.from({ length: n }, () => step);
}

/**
 * Runs the same steps through nginx, then edgeproxy (proxies in that order), from the same
 * backend behaviour, and expects the same trace; returns nginx's.
 */
export async function compareTraces(
  proxies: readonly RunningProxy[],
  backends: Record<string, Backend>,
  steps: readonly Step[],
  initial: Record<string, () => Reply> = {},
  options: { align?: boolean } = {},
): Promise<string[]> {
  const [nginx, edge] = proxies as [RunningProxy, RunningProxy];
  const expected = await trace(nginx, backends, steps, initial, options);
  const actual = await trace(edge, backends, steps, initial, options);
  expect(actual, `edgeproxy log:\n${edge.log().slice(-2000)}`).toEqual(expected);
  return expected;
}
