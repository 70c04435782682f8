import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compileConfig, parseConfigText } from "../../../core/index.ts";
import { type ParsedTarget, parseTarget } from "../../../core/route/uri.ts";
import { upstreamTarget } from "../../../core/shape/upstream-target.ts";

/** The request as the client sent it: no rewrite has run. */
const asClientSent = (target: ParsedTarget) => ({ ...target, internal: false, validUnparsedUri: true, validLocation: true });

async function location(block: string) {
  const config = await compileConfig(parseConfigText(`events {} http { server { ${block} } }`));
  const loc = config.servers[0]?.locations[0];
  if (loc?.proxy?.kind !== "static") throw new Error("no static proxy_pass");
  return { loc, pass: loc.proxy };
}

const send = async (block: string, target: string) => {
  const { loc, pass } = await location(block);
  const parsed = parseTarget(target, true);
  if (!parsed) throw new Error("400");
  return upstreamTarget(pass, loc, asClientSent(parsed));
};

describe("upstreamTarget", () => {
  // nginx-semantics 5.2, the "Observed" table.
  test.each([
    ["location / { proxy_pass http://b; }", "/a%20b/../c?q=1%202", "/a%20b/../c?q=1%202"],
    ["location / { proxy_pass http://b; }", "//x//y", "//x//y"],
    ["location /with/ { proxy_pass http://b/x/; }", "/with/a%20b/./c?x=%41", "/x/a%20b/c?x=%41"],
    ["location /with/ { proxy_pass http://b/x/; }", "/with/a%2Fb", "/x/a/b"],
    ["location /with/ { proxy_pass http://b/x/; }", "/with/%7E/~", "/x/~/~"],
    ["location /with/ { proxy_pass http://b/x/; }", "/with/a%3Fb", "/x/a%3Fb"],
    ["location /with/ { proxy_pass http://b/x/; }", "/with/%C3%A9", "/x/%C3%A9"],
    ["location /noslash { proxy_pass http://b/y; }", "/noslashes", "/yes"],
    ["location /api { proxy_pass http://b/v1; }", "/api2", "/v12"],
    ["location ~ ^/re/ { proxy_pass http://b; }", "/re/a%2Fb?x=1", "/re/a%2Fb?x=1"],
  ])("%s sends %s as %s", async (block, target, expected) => {
    expect(await send(block, target)).toBe(expected);
  });

  test("cuts the location name and appends the rest for any unescaped path", async () => {
    const { loc, pass } = await location("location /in/ { proxy_pass http://b/out/; }");
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9._~-]{0,20}(\/[a-z0-9._~-]{1,8}){0,3}$/),
        fc.stringMatching(/^[a-z0-9=&]{0,12}$/),
        (rest, args) => {
          const target = parseTarget(`/in/${rest}${args ? `?${args}` : ""}`, true);
          if (!target) return;
          const sent = upstreamTarget(pass, loc, asClientSent(target));
          expect(sent).toBe(`/out/${target.uri.slice(4)}${args ? `?${args}` : ""}`);
        },
      ),
    );
  });
});
