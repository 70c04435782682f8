import { afterAll, beforeAll, describe, expect } from "vitest";
import { conformance } from "../support/gaps.ts";
import { getRequest, observeAll } from "../support/observe.ts";
import { type RunningProxy, startBoth } from "../support/proxies.ts";

const check = conformance({});

// PCRE as nginx compiles it (config/pcre.ts): what JS reads differently, and what it spells differently.
describe("regular expressions as nginx's PCRE reads them", () => {
  let proxies: RunningProxy[];
  beforeAll(async () => {
    proxies = await startBoth(
      (port) => String.raw`
    server {
        listen 127.0.0.1:${port};
        location ~ "^/dot/a.b$" { return 200 "dot\n"; }
        location ~ "^/dollar/x$" { return 200 "dollar\n"; }
        location ~ "^/space/a\sb$" { return 200 "space\n"; }
        location ~ "^/hspace/a\hb$" { return 200 "hspace\n"; }
        location ~ "^/vspace/a\vb$" { return 200 "vspace\n"; }
        location ~ "^/quote/\Qa.b+\E$" { return 200 "quote\n"; }
        location ~ "(?i)^/flags/abc$" { return 200 "flags\n"; }
        location ~ "^/mid/a(?i)bc$" { return 200 "mid\n"; }
        location ~ "(?i:^/grp/ab)c$" { return 200 "grp\n"; }
        location ~* "^/cs/a(?-i)b$" { return 200 "cs\n"; }
        location ~ "^/named/(?P<first>\w+)/(?<second>\d+)/(?'third'[a-z]+)$" { return 200 "named $first $second $third [$1][$2][$3]\n"; }
        location ~ "^/backref/(?P<w>[a-z]+)-(?P=w)$" { return 200 "backref $w\n"; }
        location ~ "^/rel/([a-z])\g{-1}(\d)\g2$" { return 200 "rel $1 $2\n"; }
        location ~ "^/posix/[[:digit:][:upper:]]+$" { return 200 "posix\n"; }
        location ~* "^/posixi/[[:upper:]]+$" { return 200 "posixi\n"; }
        location ~ "^/bracket/[]x]+$" { return 200 "bracket\n"; }
        location ~ "(?x) ^/ext/ a \d+ $   # a comment" { return 200 "ext\n"; }
        location ~ "^/hex/\x41\x{42}$" { return 200 "hex\n"; }
        location ~ "^/lazy/(.+?)(\d*)$" { return 200 "lazy [$1] [$2]\n"; }
        location ~ "^/dotall/(?s)a.b$" { return 200 "dotall\n"; }
        location ~ "^/multi/(?m)a$" { return 200 "multi\n"; }
        location /anchor {
            if ($uri ~ "\A/anchor/x\Z") { return 200 "Z\n"; }
            if ($uri ~ "\A/anchor/y\z") { return 200 "z\n"; }
            return 200 "neither\n";
        }
        location /rewrite/ {
            rewrite "^/rewrite/(?P<word>[a-z]+)\.(?:html?)$" /named/$word/1/x last;
            return 200 "no rewrite\n";
        }
        location / { return 200 "none $uri\n"; }
    }`,
    );
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
  });

  const cases: [string, string][] = [
    [". matches a carriage return", "/dot/a%0Db"],
    [". does not match a newline", "/dot/a%0Ab"],
    ["$ matches before a final newline", "/dollar/x%0A"],
    ["$ does not match before a newline with more after it", "/dollar/x%0A%0A"],
    ["\\s matches a tab", "/space/a%09b"],
    ["\\s does not match 0xA0", "/space/a%A0b"],
    ["\\h matches 0xA0", "/hspace/a%A0b"],
    ["\\v matches a vertical tab", "/vspace/a%0Bb"],
    ["\\v matches 0x85", "/vspace/a%85b"],
    ["\\Q...\\E quotes", "/quote/a.b+"],
    ["\\Q...\\E quotes, not a pattern", "/quote/axbb"],
    ["(?i) at the start", "/FLAGS/ABC"],
    ["(?i) in the middle", "/mid/aBC"],
    ["(?i) in the middle, not before it", "/mid/ABC"],
    ["(?i:...) for a group", "/GRP/ABc"],
    ["(?i:...) for a group, not after it", "/grp/abC"],
    ["(?-i) in a caseless location", "/CS/Ab"],
    ["(?-i) in a caseless location, case kept after it", "/cs/aB"],
    ["named groups of every spelling", "/named/hello/42/abc"],
    ["(?P=name)", "/backref/abc-abc"],
    ["(?P=name) that differs", "/backref/abc-abd"],
    ["\\g{-1} and \\g2", "/rel/aa11"],
    ["POSIX classes", "/posix/AB12"],
    ["POSIX classes that do not match", "/posix/ab"],
    ["[:upper:] caseless", "/posixi/abc"],
    ["] first in a class", "/bracket/x]x"],
    ["(?x) with spaces and a comment", "/ext/a12"],
    ["\\x41 and \\x{42}", "/hex/AB"],
    ["lazy quantifiers", "/lazy/abc123"],
    ["(?s) lets . match a newline", "/dotall/a%0Ab"],
    ["(?m) lets $ match before any newline", "/multi/a%0Ab"],
    ["\\Z before a final newline", "/anchor/x%0A"],
    ["\\z only at the end", "/anchor/y%0A"],
    ["a rewrite with (?P<name>) and (?:...)", "/rewrite/page.htm"],
  ];
  for (const [what, target] of cases)
    check(`matches ${what} as nginx does`, async () => {
      const seen = await observeAll(proxies, [], getRequest(target));
      expect(seen.edgeproxy).toEqual(seen.nginx);
    });
});
