import type { Config, ErrorLogTarget, Location, Settings } from "../../core/index.ts";
import { makeTempPaths } from "./spool.ts";

/** The settings of every block of a config: each server's and each location's, nested ones too. */
function allSettings(config: Config): Settings[] {
  const out: Settings[] = [];
  const visit = (location: Location) => {
    out.push(location.settings);
    location.children.forEach(visit);
  };
  for (const server of config.servers) {
    out.push(server.settings);
    server.locations.forEach(visit);
  }
  return out;
}

/** Every `access_log` path of a config. */
export function accessLogPaths(config: Config): Set<string> {
  return new Set(allSettings(config).flatMap((s) => s.accessLogs.map((log) => log.path)));
}

/** Every `error_log` set below main (http, server, location). */
export function blockErrorLogs(config: Config): ErrorLogTarget[] {
  return allSettings(config).flatMap((s) => (s.errorLog ? [s.errorLog] : []));
}

/** Every `client_body_temp_path` and `proxy_temp_path` of a config. */
export function tempPaths(config: Config): Set<string> {
  return new Set(allSettings(config).flatMap((s) => [s.clientBodyTempPath, s.proxyTempPath].filter((p) => p !== null)));
}

/**
 * What a config makes the process open when it loads, beside its error logs, as nginx does at
 * load: the `access_log` files and the `client_body_temp_path` and `proxy_temp_path` directories. Throws nginx's
 * `open()` / `mkdir()` failure, so the start, `-t` or the reload fails instead of a request.
 */
export function openConfigFiles(config: Config, accessLog: { open(config: Config): void }): void {
  accessLog.open(config);
  makeTempPaths(tempPaths(config));
}
