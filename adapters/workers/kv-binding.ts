import type { KvLike } from "./kv-failure-state.ts";

/** The KV binding peer health is shared through when the Worker has it and none is named. */
export const DEFAULT_KV_BINDING = "EDGEPROXY_STATE";

/** The KV namespace for peer health, or why there is none (said once, in the Worker's log). */
export type KvChoice = { readonly kv: KvLike } | { readonly missing: string };

/**
 * Finds the KV namespace for peer health among a Worker's bindings (`env`): the one `name`d;
 * else `EDGEPROXY_STATE`; else the Worker's only KV namespace, whatever its binding is called,
 * so the project's wrangler config decides without a flag. Several and none named: none.
 */
export function chooseKvBinding(env: object | undefined, name: string | undefined): KvChoice {
  const bindings = (env ?? {}) as Record<string, unknown>;
  const local = "peer health stays local to each isolate";
  if (name !== undefined) {
    const kv = bindings[name];
    return isKv(kv) ? { kv } : { missing: `edgeproxy: no Workers KV binding "${name}" ([[kv_namespaces]] in wrangler.toml): ${local}` };
  }
  const fallback = bindings[DEFAULT_KV_BINDING];
  if (isKv(fallback)) return { kv: fallback };
  const kvs = Object.keys(bindings).filter((key) => isKv(bindings[key]));
  if (kvs.length === 1) return { kv: bindings[kvs[0] as string] as KvLike };
  if (kvs.length === 0) return { missing: `edgeproxy: no Workers KV binding ([[kv_namespaces]] in wrangler.toml): ${local}` };
  return {
    missing: `edgeproxy: several Workers KV bindings (${kvs.join(", ")}): name the one for peer health (kvBinding, or edgeproxy-workers --kv-binding); ${local}`,
  };
}

/** A KV namespace binding: what KvFailureState calls, and getWithMetadata, which only KV has among Cloudflare's bindings. */
function isKv(value: unknown): value is KvLike {
  const kv = value as Partial<KvLike & { getWithMetadata: unknown }> | null | undefined;
  return typeof kv?.put === "function" && typeof kv.list === "function" && typeof kv.getWithMetadata === "function";
}
