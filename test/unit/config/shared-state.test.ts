import { describe, expect, test } from "vitest";
import { ConfigError, compileConfig, parseConfigText } from "../../../core/index.ts";

const compile = (line: string) => compileConfig(parseConfigText(`events {}\nhttp {\n${line}\n}\n`));

describe("edgeproxy_state", () => {
  test("takes a redis:// or rediss:// URL and a prefix", async () => {
    expect((await compile("edgeproxy_state redis://10.0.0.5:6380/2;")).sharedState).toEqual({
      at: { file: "edgeproxy.conf", line: 3 },
      url: "redis://10.0.0.5:6380/2",
      prefix: "edgeproxy:",
    });
    expect((await compile("edgeproxy_state rediss://u:p@cache.internal prefix=eu-west:;")).sharedState?.prefix).toBe("eu-west:");
    expect((await compile("")).sharedState).toBeUndefined();
  });

  test.each([
    [
      "edgeproxy_state http://cache:6379;",
      `invalid URL "http://cache:6379" in "edgeproxy_state" directive: redis://host:port or rediss://host:port`,
    ],
    ["edgeproxy_state cache:6379;", `invalid URL "cache:6379" in "edgeproxy_state" directive: redis://host:port or rediss://host:port`],
    ["edgeproxy_state redis://cache prefix=;", `invalid parameter "prefix=" in "edgeproxy_state" directive`],
    ["edgeproxy_state redis://cache ttl=5;", `invalid parameter "ttl=5" in "edgeproxy_state" directive`],
    ["edgeproxy_state redis://a; edgeproxy_state redis://b;", `"edgeproxy_state" directive is duplicate`],
  ])("refuses %s", async (line, reason) => {
    const error = await compile(line).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).reason).toBe(reason);
  });
});
