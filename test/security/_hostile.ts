import { expect } from "vitest";
import type { Backend } from "../support/backend.ts";
import { observeAll } from "../support/observe.ts";
import { ADAPTER, type RunningProxy } from "../support/proxies.ts";

/**
 * Sends one hostile request to nginx and to edgeproxy: both must answer alike, and when nginx
 * keeps it from the upstream, so must edgeproxy.
 */
export async function sameAnswer(proxies: RunningProxy[], backends: Backend[], request: string): Promise<number> {
  const seen = await observeAll(proxies, backends, request, { timeoutMs: 5000 });
  const nginx = seen.nginx;
  const edge = seen.edgeproxy;
  if (ADAPTER === "workers") {
    // workerd's parser, behind wrangler's, answers malformed requests with its own status and page; what must hold is the promise: what nginx keeps from the upstream never
    // reaches it.
    if (nginx?.upstream.length === 0) expect(edge?.upstream).toEqual([]);
    if ((nginx?.status ?? 0) >= 400) expect(edge?.status === 0 || (edge?.status ?? 0) >= 400).toBe(true);
    return nginx?.status ?? 0;
  }
  expect({ status: edge?.status, reached: edge?.upstream.length, closedSilently: edge?.closedSilently }).toEqual({
    status: nginx?.status,
    reached: nginx?.upstream.length,
    closedSilently: nginx?.closedSilently,
  });
  expect(edge?.body).toEqual(nginx?.body);
  if (nginx?.upstream.length) expect(edge?.upstream).toEqual(nginx.upstream);
  return nginx?.status ?? 0;
}
