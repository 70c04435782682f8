import { constants } from "node:os";
import { resolve } from "node:path";
import { getSystemErrorMessage } from "node:util";
import type { Listen } from "../../core/index.ts";

/**
 * glibc's strerror() texts for the errors a bind, an open or a kill meets, which nginx prints
 * after the errno (`ngx_strerror()`). Node only has libuv's wording ("address not available"
 * for "Cannot assign requested address"), which would not grep like nginx's lines.
 */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  ENAMETOOLONG: "File name too long",
  ELOOP: "Too many levels of symbolic links",
  EAFNOSUPPORT: "Address family not supported by protocol",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENETUNREACH: "Network is unreachable",
  EDQUOT: "Disk quota exceeded",
};

/**
 * A failed system call's reason as nginx prints it in parentheses: `13: Permission denied`.
 * Node and Bun both give the error's `code`; its number comes from the platform's table.
 */
export function describeSystemError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return error instanceof Error ? error.message : String(error);
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  if (errno === undefined) return code;
  const text = STRERROR[code] ?? capitalised(getSystemErrorMessage(-errno));
  return `${errno}: ${text}`;
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
