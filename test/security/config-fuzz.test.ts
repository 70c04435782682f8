import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ConfigError, compileConfigSync, parseConfigText } from "../../core/index.ts";

/** Words that make the compiler work: directives, parameters, values, broken bits. */
const WORD = fc.constantFrom(
  "events",
  "http",
  "server",
  "upstream",
  "location",
  "listen",
  "server_name",
  "proxy_pass",
  "return",
  "proxy_set_header",
  "proxy_next_upstream",
  "client_max_body_size",
  "proxy_read_timeout",
  "ip_hash",
  "hash",
  "keepalive",
  "include",
  "if",
  "weight=0",
  "weight=3",
  "max_fails=2",
  "fail_timeout=5s",
  "backup",
  "down",
  "=",
  "~",
  "~*",
  "^~",
  "@x",
  "/",
  "/a/",
  "~^/(?<n>x)$",
  "(",
  ")",
  "[",
  "http://u",
  "http://u/x",
  "http://unix:/s:/",
  "https://h:99999",
  "127.0.0.1:80",
  "[::1]:8",
  "unix:/p",
  "$host",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
  "${x}y",
  "$nonexistent",
  "1m",
  "1g",
  "10s",
  "1h30m",
  "0",
  "-1",
  "off",
  "on",
  "error",
  '"',
  "'",
  "\\",
  "#",
  "u",
  "{",
  "}",
  ";",
  "\n",
  "default_server",
  "200",
  "301",
  "999",
  "1000",
);

// Operator mistakes of any shape: the compiler answers with a ConfigError or a config, fast.
describe("config fuzzing", () => {
  test("never crashes nor hangs on arbitrary directive soup", () => {
    fc.assert(
      fc.property(fc.array(WORD, { maxLength: 60 }), (words) => {
        const text = `events {} http { ${words.join(" ")} }`;
        const started = performance.now();
        try {
          compileConfigSync(parseConfigText(text));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).message).toMatch(/^edgeproxy\.conf:\d+: /);
        }
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 2000 },
    );
  });

  test("never crashes on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        try {
          compileConfigSync(parseConfigText(text));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
