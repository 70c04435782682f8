/**
 * Linux's errno numbers and glibc's strerror() texts for the errors sockets and files meet,
 * which nginx prints in parentheses (`ngx_strerror()`): `(111: Connection refused)`. Node and
 * Bun give an error's `code` but word it as libuv does, which would not grep like nginx's lines.
 */
const LINUX_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  ESRCH: [3, "No such process"],
  EIO: [5, "Input/output error"],
  ENXIO: [6, "No such device or address"],
  EACCES: [13, "Permission denied"],
  EBUSY: [16, "Device or resource busy"],
  EEXIST: [17, "File exists"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENFILE: [23, "Too many open files in system"],
  EMFILE: [24, "Too many open files"],
  ETXTBSY: [26, "Text file busy"],
  ENOSPC: [28, "No space left on device"],
  EROFS: [30, "Read-only file system"],
  EPIPE: [32, "Broken pipe"],
  ENAMETOOLONG: [36, "File name too long"],
  ELOOP: [40, "Too many levels of symbolic links"],
  EAFNOSUPPORT: [97, "Address family not supported by protocol"],
  EADDRINUSE: [98, "Address already in use"],
  EADDRNOTAVAIL: [99, "Cannot assign requested address"],
  ENETDOWN: [100, "Network is down"],
  ENETUNREACH: [101, "Network is unreachable"],
  ECONNABORTED: [103, "Software caused connection abort"],
  ECONNRESET: [104, "Connection reset by peer"],
  ENOTCONN: [107, "Transport endpoint is not connected"],
  ETIMEDOUT: [110, "Connection timed out"],
  ECONNREFUSED: [111, "Connection refused"],
  EHOSTDOWN: [112, "Host is down"],
  EHOSTUNREACH: [113, "No route to host"],
  EDQUOT: [122, "Disk quota exceeded"],
};

/** An error's `code`, when it has one. */
export function errorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}

/** `111: Connection refused` for an error whose code the table has; null otherwise. */
export function linuxErrorText(code: string): string | null {
  const known = LINUX_ERRORS[code];
  return known ? `${known[0]}: ${known[1]}` : null;
}

/**
 * A socket error as nginx words its reason: `104: Connection reset by peer`; the code, or the
 * message, for an error the table does not have.
 */
export function describeSocketError(error: unknown): string {
  const code = errorCode(error);
  if (code !== null) return linuxErrorText(code) ?? code;
  return error instanceof Error ? error.message : String(error);
}
