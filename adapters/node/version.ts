import { readFileSync } from "node:fs";
import type { Options } from "./options.ts";

/** Where the config is read from when `-c` is not given, like nginx's /etc/nginx/nginx.conf. */
export const DEFAULT_CONFIG_PATH = "/etc/edgeproxy/edgeproxy.conf";

/** The package's version: package.json is two folders up from the sources, three from dist/. */
export const VERSION: string = (
  JSON.parse(
    readFileSync(new URL(import.meta.url.endsWith(".ts") ? "../../package.json" : "../../../package.json", import.meta.url), "utf8"),
  ) as { version: string }
).version;

/** `-v`, `-V` and `-h`, worded as nginx's (`ngx_show_version_info()`), for stderr. */
export function versionText(command: string, options: Pick<Options, "help" | "version">): string {
  let text = `edgeproxy version: edgeproxy/${VERSION}\n`;
  if (options.help) {
    const usage = `Usage: ${command} `;
    text += `${usage}[-?hvVtTq] [-s signal] [-p prefix]
${" ".repeat(usage.length)}[-e filename] [-c filename] [-g directives]

Options:
  -?,-h         : this help
  -v            : show version and exit
  -V            : show version and configure options then exit
  -t            : test configuration and exit
  -T            : test configuration, dump it and exit
  -q            : suppress non-error messages during configuration testing
  -s signal     : send signal to a master process: stop, quit, reopen, reload
  -p prefix     : set prefix path (default: the current directory)
  -e filename   : set error log file (default: stderr)
  -c filename   : set configuration file (default: ${DEFAULT_CONFIG_PATH})
  -g directives : set global directives out of configuration file

`;
  }
  if (options.version === "configure") {
    const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node.js ${process.version}`;
    text += `running on ${runtime}\nconfigure arguments: --conf-path=${DEFAULT_CONFIG_PATH} --error-log-path=stderr\n`;
  }
  return text;
}
