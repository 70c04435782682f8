import { describe, expect, test } from "vitest";
import { compileConfig, parseConfigText } from "../../../core/index.ts";
import { LocationMatcher } from "../../../core/route/location-match.ts";

async function matcher(locations: string): Promise<LocationMatcher> {
  const config = await compileConfig(parseConfigText(`events {} http { server { ${locations} } }`));
  return new LocationMatcher(config.servers[0]?.locations ?? []);
}

const describeMatch = (m: ReturnType<LocationMatcher["match"]>) =>
  m.kind === "none" ? "none" : [m.kind === "redirect" ? "301" : "", m.location.modifier, m.location.name].filter(Boolean).join(" ");

describe("LocationMatcher", () => {
  // nginx-semantics 7.4, the "Observed" table.
  test.each([
    ["/x", "= /x"],
    ["/x/", "/x"],
    ["/x/a.php", "~ \\.php$"],
    ["/x/static/a.php", "^~ /x/static"],
    ["/x/deep/a.php", "~ \\.php$ (nested)"],
    ["/x/deep/c.PHP", "/x/deep"],
    ["/y.PNG", "~* \\.PNG$"],
    ["/y.png", "~* \\.PNG$"],
    ["/abc", "/ab"],
    ["/a", "/a"],
    ["/X", "none"],
  ])("matches %s to %s", async (uri, expected) => {
    const m = await matcher(String.raw`
      location = /x {}
      location /x {}
      location ^~ /x/static {}
      location ~ \.php$ {}
      location ~* \.PNG$ {}
      location /x/deep { location ~ \.php$ { return 200 nested; } }
      location /ab {}
      location /a {}`);
    const got = m.match(uri);
    const name = describeMatch(got);
    const nested = got.kind === "location" && got.location.script?.[0]?.kind === "return" ? " (nested)" : "";
    expect(name + nested).toBe(expected);
  });

  test("a nested ^~ shields only its own level's regexes", async () => {
    const m = await matcher(String.raw`
      location /x { location ^~ /x/y {} location ~ \.html$ {} }
      location ~ \.php$ {}
      location ~ \.html$ { return 200; }
      location ^~ /z { location ~ \.php$ { return 201; } }`);
    expect(describeMatch(m.match("/x/y/a.php"))).toBe("~ \\.php$");
    expect(m.match("/x/y/a.html")).toMatchObject({ location: { script: [{ status: 200 }] } });
    expect(m.match("/z/a.php")).toMatchObject({ location: { script: [{ status: 201 }] } });
    expect(describeMatch(m.match("/z"))).toBe("^~ /z");
  });

  test("gives the captures of the last regex location that matched", async () => {
    const m = await matcher(String.raw`
      location ~ ^/(\w+)/ { location ~ /(\d+)$ {} }
      location /p { location ~ ^/p/(.+)$ {} }`);
    const captures = (uri: string) => {
      const got = m.match(uri);
      return got.kind === "location" ? [...(got.captures ?? [])] : null;
    };
    expect(captures("/a/b")).toEqual(["/a/", "a"]);
    expect(captures("/a/7")).toEqual(["/7", "7"]);
    expect(captures("/p/q")).toEqual(["/p/q", "q"]);
    expect(captures("/px")).toEqual([]);
  });

  test("redirects /dir to /dir/ for a proxying location, unless an exact location exists", async () => {
    const m = await matcher(`
      location /with/ { proxy_pass http://127.0.0.1:9; }
      location /plain/ {}
      location = /exact { } location /exact/ { proxy_pass http://127.0.0.1:9; }
      location ~ ^/with$ {}`);
    expect(describeMatch(m.match("/with"))).toBe("301 /with/");
    expect(describeMatch(m.match("/plain"))).toBe("none");
    expect(describeMatch(m.match("/exact"))).toBe("= /exact");
  });
});
