import { ConfigError, type SourceLocation } from "./errors.ts";
import { Lexer } from "./lexer.ts";

/** One directive of the tree: its name, arguments, where it is, and its block if it has one. */
export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly at: SourceLocation;
  /** Present for block directives (`http {`, `location / {`); the statements inside. */
  readonly block?: readonly Directive[];
  /** The line of the closing `}`: nginx reports block-level errors there. */
  readonly endAt?: SourceLocation;
}

/** Where configuration text comes from; the adapter supplies files, tests supply a Map. */
export interface ConfigSource {
  /** The text of a file, by absolute path; throws when it cannot be read. */
  read(path: string): string;
  /** Absolute paths matching a glob pattern, in nginx's (sorted) order. */
  glob(pattern: string): string[];
}

const GLOB_CHARS = /[*?[]/;

/**
 * Parses a configuration file and its includes into a directive tree. `include` is expanded in
 * place, each included file tokenised on its own (docs/nginx-semantics.md 1.3); a relative path
 * is taken from the main file's directory, as nginx takes it from its prefix.
 */
export function parseConfig(path: string, source: ConfigSource): Directive[] {
  const baseDir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const parser = new Parser(source, baseDir);
  return parser.parseFile(path, readOrFail(source, path, null));
}

/** Parses configuration text that has no includes to resolve (tests, generated config). */
export function parseConfigText(text: string, file = "edgeproxy.conf"): Directive[] {
  const none: ConfigSource = {
    read: (p) => {
      throw new Error(`no file ${p}`);
    },
    glob: () => [],
  };
  return new Parser(none, "").parseFile(file, text);
}

class Parser {
  readonly #source: ConfigSource;
  readonly #baseDir: string;
  #depth = 0;

  constructor(source: ConfigSource, baseDir: string) {
    this.#source = source;
    this.#baseDir = baseDir;
  }

  parseFile(file: string, text: string): Directive[] {
    if (++this.#depth > 32) {
      throw new ConfigError("include-failed", "include nesting is too deep", { file, line: 1 });
    }
    const lexer = new Lexer(text, file);
    const { directives } = this.#parseBlock(lexer, file, null);
    this.#depth--;
    return directives;
  }

  /** Reads statements until the block's `}` (or the end of the file at top level). */
  #parseBlock(lexer: Lexer, file: string, opener: SourceLocation | null): { directives: Directive[]; endAt: SourceLocation | null } {
    const out: Directive[] = [];
    for (;;) {
      const st = lexer.next();
      const at = { file, line: st.line };
      if (st.end === "eof") {
        if (opener) throw new ConfigError("syntax", 'unexpected end of file, expecting "}"', at);
        return { directives: out, endAt: null };
      }
      if (st.end === "block-end") {
        if (!opener) throw new ConfigError("syntax", 'unexpected "}"', at);
        return { directives: out, endAt: at };
      }
      const [name, ...args] = st.words as [string, ...string[]];
      if (st.end === "block-start") {
        const { directives, endAt } = this.#parseBlock(lexer, file, at);
        out.push({ name, args, at, block: directives, endAt: endAt ?? at });
      } else if (name === "include") {
        out.push(...this.#include(args, at));
      } else {
        out.push({ name, args, at });
      }
    }
  }

  #include(args: readonly string[], at: SourceLocation): Directive[] {
    if (args.length !== 1) {
      throw new ConfigError("invalid-arguments", 'invalid number of arguments in "include" directive', at);
    }
    const arg = args[0] as string;
    const path = arg.startsWith("/") ? arg : this.#baseDir + arg;
    const files = GLOB_CHARS.test(path) ? this.#source.glob(path) : [path];
    const out: Directive[] = [];
    for (const file of files) out.push(...this.parseFile(file, readOrFail(this.#source, file, at)));
    return out;
  }
}

function readOrFail(source: ConfigSource, path: string, at: SourceLocation | null): string {
  try {
    return source.read(path);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError("include-failed", `open() "${path}" failed (${why})`, at, { cause });
  }
}
