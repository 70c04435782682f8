import { SIGNALS, type SignalName } from "./pid-file.ts";

/** What the command line asks for, as nginx reads its own (`ngx_get_options()`). */
export interface Options {
  /** `-?`, `-h`: the version and the usage. */
  readonly help: boolean;
  /** `-v`, `-V` (`"configure"` adds the build details). */
  readonly version: "none" | "short" | "configure";
  /** `-t`, `-T` (`"dump"` also prints every file read). */
  readonly test: "none" | "test" | "dump";
  /** `-q`: no "syntax is ok" / "test is successful" lines. */
  readonly quiet: boolean;
  /** `-s NAME`: signal the running process through the `pid` file. */
  readonly signal: SignalName | null;
  /** `-p PREFIX`: where relative paths start; null = the current directory. */
  readonly prefix: string | null;
  /** `-c FILE`; null = the default. */
  readonly configFile: string | null;
  /** `-e FILE`: the error log before the config's, and its default; null = stderr. */
  readonly errorLog: string | null;
  /** `-g DIRECTIVES`: main-context directives read before the file. */
  readonly globals: string | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The options that take a value, and what nginx says when it is missing. */
const WANTS_VALUE = {
  p: 'option "-p" requires directory name',
  c: 'option "-c" requires file name',
  e: 'option "-e" requires file name',
  g: 'option "-g" requires parameter',
  s: 'option "-s" requires parameter',
} as const;

/**
 * Reads argv as nginx does: each argument starts with `-` and may bundle flags (`-tq`); an
 * option with a value takes the rest of its argument or the next one (`-cFILE`, `-c FILE`).
 * Returns the options, or nginx's message for the first thing wrong.
 */
/** Whether a command line starts a server (not `-t`, `-T`, `-v`, `-V`, `-h`, `-s` or `explain`, nor a bad one). */
export function servesRequests(argv: readonly string[]): boolean {
  if (argv[0] === "explain") return false;
  const o = parseOptions(argv);
  return !("error" in o) && !o.help && o.version === "none" && o.test === "none" && o.signal === null;
}

export function parseOptions(argv: readonly string[]): Options | { readonly error: string } {
  const o: Mutable<Options> = {
    help: false,
    version: "none",
    test: "none",
    quiet: false,
    signal: null,
    prefix: null,
    configFile: null,
    errorLog: null,
    globals: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("-")) return { error: `invalid option: "${arg}"` };
    for (let at = 1; at < arg.length; at++) {
      const flag = arg[at] as string;
      if (flag in WANTS_VALUE) {
        const key = flag as keyof typeof WANTS_VALUE;
        const value = at + 1 < arg.length ? arg.slice(at + 1) : argv[++i];
        if (value === undefined) return { error: WANTS_VALUE[key] };
        const error = setValue(o, key, value);
        if (error) return { error };
        break;
      }
      if (flag === "?" || flag === "h") o.help = true;
      else if (flag === "v") o.version = o.version === "configure" ? "configure" : "short";
      else if (flag === "V") o.version = "configure";
      else if (flag === "t") o.test = o.test === "dump" ? "dump" : "test";
      else if (flag === "T") o.test = "dump";
      else if (flag === "q") o.quiet = true;
      else return { error: `invalid option: "${flag}"` };
    }
  }
  return o;
}

function setValue(o: Mutable<Options>, key: keyof typeof WANTS_VALUE, value: string): string | null {
  switch (key) {
    case "p":
      o.prefix = value;
      return null;
    case "c":
      o.configFile = value;
      return null;
    case "e":
      o.errorLog = value;
      return null;
    case "g":
      o.globals = value;
      return null;
    case "s":
      if (!Object.hasOwn(SIGNALS, value)) return `invalid option: "-s ${value}"`;
      o.signal = value as SignalName;
      return null;
    default:
      return key satisfies never;
  }
}
