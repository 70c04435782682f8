import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { escapeUri, parseTarget } from "../../../core/route/uri.ts";

describe("parseTarget", () => {
  test.each([
    ["/a%20b/../c?q=1%202", "/c", "q=1%202", true],
    ["//x//y", "/x/y", "", false],
    ["/with/a%2Fb", "/with/a/b", "", true],
    ["/x/%2e%2e/a.php", "/a.php", "", true],
    ["/a/./b/.", "/a/b/", "", false],
    ["/a/b/..", "/a/", "", false],
    ["/p#frag?no", "/p", "", false],
    ["http://Host:8080/abs?x", "/abs", "x", false],
  ])("reads %s as $uri %s and $args %s", (target, uri, args, isQuoted) => {
    expect(parseTarget(target, true)).toMatchObject({ uri, args, isQuoted });
  });

  test.each(["/../x", "/a/../../x", "/x%zz", "/x%00y", "x/y"])("refuses %s with 400", (target) => {
    expect(parseTarget(target, true)).toBeNull();
  });

  test("keeps double slashes with merge_slashes off", () => {
    expect(parseTarget("//x//y", false)?.uri).toBe("//x//y");
  });

  test("normalises to a path without dot segments or empty segments", () => {
    const segment = fc.constantFrom("a", "b", ".", "..", "", "%2e", "%2E%2e", "c%2fd", "x y");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const parsed = parseTarget(`/${segments.join("/")}`, true);
        if (parsed === null) return;
        expect(parsed.uri.startsWith("/")).toBe(true);
        expect(parsed.uri.split("/").slice(1, -1)).not.toContain("..");
        expect(parsed.uri).not.toMatch(/\/\.\.?(\/|$)|\/\//);
        // Normalising again changes nothing.
        expect(parseTarget(escapeUri(parsed.uri), true)?.uri).toBe(parsed.uri);
      }),
    );
  });
});

describe("escapeUri", () => {
  test("escapes what ngx_escape_uri escapes, in upper-case hex, and leaves the rest", () => {
    expect(escapeUri('a b"#%<>?\\^`{|}\x7f\xe9')).toBe("a%20b%22%23%25%3C%3E%3F%5C%5E%60%7B%7C%7D%7F%E9");
    expect(escapeUri("/~;:@&=+$,!'()*[]")).toBe("/~;:@&=+$,!'()*[]");
  });
});
