import { constants } from "node:os";
import { resolve } from "node:path";
import { getSystemErrorMessage } from "node:util";
import { type Listen, linuxErrorText } from "../../core/index.ts";

/**
 * A failed system call's reason as nginx prints it in parentheses: `13: Permission denied`.
 * Node and Bun both give the error's `code`: Linux's words for it (core/log/system-error.ts), else the platform's.
 */
export function describeSystemError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return error instanceof Error ? error.message : String(error);
  const known = linuxErrorText(code);
  if (known !== null) return known;
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  return errno === undefined ? code : `${errno}: ${capitalised(getSystemErrorMessage(-errno))}`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A file call that failed on a path, worded as nginx's `open() "/path" failed (13: Permission denied)`. */
export class FileCallError extends Error {
  readonly path: string;

  constructor(call: "open" | "mkdir", path: string, cause: unknown) {
    super(`${call}() "${resolve(path)}" failed (${describeSystemError(cause)})`, { cause });
    this.name = "FileCallError";
    this.path = path;
  }
}

/** A listen address that cannot be bound, worded as nginx's `bind() to 127.0.0.1:80 failed (13: Permission denied)`. */
export class BindError extends Error {
  constructor(address: string, cause: unknown) {
    super(`bind() to ${address} failed (${describeSystemError(cause)})`, { cause });
    this.name = "BindError";
  }
}

/** A listen address as nginx names it in messages: `127.0.0.1:80`, `0.0.0.0:80`, `[::1]:80`, `unix:/path`. */
export function listenAddress(l: Listen): string {
  if (l.kind === "unix") return `unix:${l.path}`;
  const host = l.host ?? "0.0.0.0";
  return `${host.includes(":") ? `[${host}]` : host}:${l.port}`;
}
