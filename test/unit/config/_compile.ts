import { type Config, ConfigError, compileConfig, parseConfigText } from "../../../core/index.ts";

/** A config's text compiled as the adapters compile a file. */
export const compile = (text: string): Promise<Config> => compileConfig(parseConfigText(text));

/** `body` inside `events {}` and an `http` block. */
export const http = (body: string): string => `events {}\nhttp {\n${body}\n}\n`;

/** The ConfigError a text is refused with; fails when it compiles. */
export async function compileError(text: string): Promise<ConfigError> {
  try {
    await compile(text);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("compiled");
}
