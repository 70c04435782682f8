import type { Logger } from "../../core/index.ts";

/** nginx's error_log line: `2026/11/27 16:20:00 [error] 123#0: message`. */
export function stderrLogger(): Logger {
  const line = (level: string, message: string) => {
    const d = new Date();
    const p = (n: number) => String(n).padStart(2, "0");
    const stamp = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    process.stderr.write(`${stamp} [${level}] ${process.pid}#0: ${message}\n`);
  };
  return { error: (m) => line("error", m), warn: (m) => line("warn", m), info: (m) => line("info", m) };
}
