import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Lexer, type RawStatement } from "../../../core/config/lexer.ts";
import { ConfigError } from "../../../core/index.ts";

function statements(text: string): RawStatement[] {
  const lexer = new Lexer(text, "t.conf");
  const out: RawStatement[] = [];
  for (;;) {
    const st = lexer.next();
    out.push(st);
    if (st.end === "eof") return out;
  }
}

function lexError(text: string): ConfigError {
  try {
    statements(text);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("Lexer", () => {
  test("splits statements and keeps the terminator's line", () => {
    const [a, b, c, d] = statements("user nobody;\nhttp {\n  x 'a b';\n}\n");
    expect(a).toEqual({ words: ["user", "nobody"], end: "semicolon", line: 1 });
    expect(b).toEqual({ words: ["http"], end: "block-start", line: 2 });
    expect(c).toEqual({ words: ["x", "a b"], end: "semicolon", line: 3 });
    expect(d).toEqual({ words: [], end: "block-end", line: 4 });
  });

  test("keeps #, } and ${ inside bare words, and comments at word boundaries", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
    const [a, b] = statements("location /a#b /a} ${x}y; # comment ; {\nz;");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${var} syntax, not a template.
    expect(a?.words).toEqual(["location", "/a#b", "/a}", "${x}y"]);
    expect(b?.words).toEqual(["z"]);
  });

  test("unescapes quotes, backslashes and \\t \\r \\n, keeps other escapes for regexes", () => {
    const [a] = statements(String.raw`x "a\"b" 'c\'d' "\\" "\t\n" ~^/\d+\.php$;`);
    expect(a?.words).toEqual(["x", 'a"b', "c'd", "\\", "\t\n", "~^/\\d+\\.php$"]);
  });

  test("takes a ) after a quoted word as the start of the next word, as if's conditions need", () => {
    expect(statements('if ($a = "b c") { }')[0]?.words).toEqual(["if", "($a", "=", "b c", ")"]);
    expect(statements("if ($a = 'b'))) { }")[0]?.words).toEqual(["if", "($a", "=", "b", ")))"]);
  });

  test("takes an empty quoted string as an argument", () => {
    expect(statements('proxy_set_header Host "";')[0]?.words).toEqual(["proxy_set_header", "Host", ""]);
  });

  test.each([
    ["; alone", ";", 'unexpected ";"', 1],
    ["{ alone", "\n{", 'unexpected "{"', 2],
    ["} after words", "a }", 'unexpected "}"', 1],
    ["text glued to a quote", 'location "/a"b {}', 'unexpected "b"', 1],
    ["a statement cut by the end", "a b", 'unexpected end of file, expecting ";" or "}"', 1],
    ["an unterminated quote", 'a "b;\n', 'unexpected end of file, expecting ";" or "}"', 2],
    ["a word over 4096 bytes", `a ${"x".repeat(4097)};`, "too long parameter", 1],
  ])("refuses %s", (_name, text, reason, line) => {
    const e = lexError(text);
    expect(e.code).toBe("syntax");
    expect(e.reason).toBe(reason);
    expect(e.location).toEqual({ file: "t.conf", line });
    expect(e.message).toBe(`t.conf:${line}: ${reason}`);
  });

  test("reads back any words it is given double-quoted", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary-ascii", maxLength: 40 }), { minLength: 1, maxLength: 6 }), (words) => {
        // \t \r \n escapes are the lexer's; a literal backslash before t/r/n must stay literal.
        const quoted = words.map((w) => `"${w.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
        const [st] = statements(`${quoted.join(" ")};`);
        expect(st?.words).toEqual(words);
      }),
    );
  });

  test("never fails with anything but a ConfigError", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab ;{}#\"'\\$\n\t/"), maxLength: 60 }), (text) => {
        try {
          statements(text);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
    );
  });
});
