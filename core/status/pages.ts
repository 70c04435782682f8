import { textResponse } from "../forward/status-page.ts";
import type { Outcome } from "../phases/outcome.ts";
import type { ProxyPlan } from "../phases/plan.ts";
import { PROMETHEUS_TYPE, prometheusText } from "./prometheus.ts";
import { upstreamsView } from "./upstreams-json.ts";

/**
 * edgeproxy's status pages (`edgeproxy_metrics`, `edgeproxy_status`): GET and HEAD, others
 * 405, as `stub_status`. Peer health is read as the failure state has it after taking in what
 * other processes wrote (Workers KV), so a page shows the latest shared view.
 */
export async function statusPage(plan: ProxyPlan, method: string, page: "metrics" | "status"): Promise<Outcome> {
  if (method !== "GET" && method !== "HEAD") return { kind: "status", status: 405 };
  await plan.caps.failures.refresh?.();
  const now = plan.caps.clock.now();
  const response =
    page === "metrics"
      ? textResponse(200, prometheusText(plan.upstreams, plan.counters, now), PROMETHEUS_TYPE)
      : textResponse(200, `${JSON.stringify(upstreamsView(plan.upstreams, plan.counters, now), null, 2)}\n`, "application/json");
  return { kind: "response", response };
}
