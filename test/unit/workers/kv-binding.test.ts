import { describe, expect, test } from "vitest";
import { chooseKvBinding } from "../../../adapters/workers/kv-binding.ts";

/** Cloudflare's bindings as a Worker's env holds them, by the methods that tell them apart. */
const fn = () => undefined;
const kv = () => ({ get: fn, getWithMetadata: fn, put: fn, list: fn, delete: fn });
const r2 = () => ({ get: fn, head: fn, put: fn, list: fn, delete: fn, createMultipartUpload: fn });
const durableObjects = () => ({ idFromName: fn, get: fn });

const chosen = (env: object | undefined, name?: string) => {
  const choice = chooseKvBinding(env, name);
  return "kv" in choice ? choice.kv : choice.missing;
};

describe("chooseKvBinding", () => {
  test("takes the binding named, and says so when the Worker does not have it", () => {
    const peers = kv();
    expect(chosen({ PEERS: peers, EDGEPROXY_STATE: kv() }, "PEERS")).toBe(peers);
    expect(chosen({ EDGEPROXY_STATE: kv() }, "PEERS")).toBe(
      'edgeproxy: no Workers KV binding "PEERS" ([[kv_namespaces]] in wrangler.toml): peer health stays local to each isolate',
    );
  });

  test("takes EDGEPROXY_STATE, else the Worker's only KV namespace, whatever its binding is called", () => {
    const state = kv();
    expect(chosen({ OTHER: kv(), EDGEPROXY_STATE: state })).toBe(state);
    const only = kv();
    expect(chosen({ BUCKET: r2(), COUNTERS: durableObjects(), API_KEY: "secret", PEER_HEALTH: only })).toBe(only);
  });

  test("takes none when there is none or several, and says why", () => {
    expect(chosen({ BUCKET: r2() })).toBe(
      "edgeproxy: no Workers KV binding ([[kv_namespaces]] in wrangler.toml): peer health stays local to each isolate",
    );
    expect(chosen(undefined)).toMatch(/^edgeproxy: no Workers KV binding /);
    expect(chosen({ A: kv(), B: kv() })).toBe(
      "edgeproxy: several Workers KV bindings (A, B): name the one for peer health (kvBinding, or edgeproxy-workers --kv-binding); peer health stays local to each isolate",
    );
  });
});
