/** Where a directive sits: the file it came from and its 1-based line. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** Why a configuration was refused; the codes are stable for tests and tooling. */
export type ConfigErrorCode =
  | "syntax"
  | "unknown-directive"
  | "unknown-variable"
  | "unsupported"
  | "not-allowed-here"
  | "invalid-arguments"
  | "invalid-value"
  | "duplicate"
  | "include-failed"
  | "reference";

/**
 * A configuration that cannot run. Rendered as nginx would place it, with the location first:
 * `edgeproxy.conf:12: "weight" must be a positive number in "server 10.0.0.1 weight=abc"`.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly location: SourceLocation | null;
  readonly reason: string;

  constructor(code: ConfigErrorCode, reason: string, location: SourceLocation | null, options?: ErrorOptions) {
    super(location ? `${location.file}:${location.line}: ${reason}` : reason, options);
    this.name = "ConfigError";
    this.code = code;
    this.location = location;
    this.reason = reason;
  }
}
