import type { Explanation } from "./explain.ts";

/** `edgeproxy explain`'s text: one section per decision, each with the rule or the line behind it. */
export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  const headerLines = (headers: readonly (readonly [string, string])[]) => headers.map(([n, v]) => `    ${n}: ${v}`);
  out.push(`request    ${e.request.method} ${e.request.target} from ${e.request.from}`, ...headerLines(e.request.headers));
  if (e.server)
    out.push(`server     ${e.server.at} server_name ${e.server.names.map((n) => n || '""').join(" ")}`, `           ${e.server.rule}`);
  for (const step of e.steps) out.push(`step       ${step}`);
  out.push(e.location ? `location   ${e.location.at} ${e.location.location}` : "location   none (server level)");
  if (e.directives.length > 0) {
    out.push("directives");
    const width = Math.min(60, Math.max(...e.directives.map((d) => d.directive.length)));
    for (const d of e.directives) {
      out.push(`    ${d.directive.padEnd(width)}  ${d.at}  ${d.block}${d.isInherited ? " (inherited)" : ""}`);
    }
  }
  const a = e.answer;
  if (a.kind === "status") {
    out.push(`answer     ${a.status} by edgeproxy: ${a.why}${a.location === undefined ? "" : `, Location: ${a.location}`}`);
    return `${out.join("\n")}\n`;
  }
  out.push(`upstream   ${a.upstream} (${a.balancer})`);
  out.push(`pick       ${a.pick ?? "none: 502, no live upstreams"}`);
  for (const p of a.peers) out.push(`    ${p.address} ${p.state} weight=${p.weight}${p.isBackup ? " backup" : ""}`);
  out.push(
    "upstream request",
    `    ${a.request.method} ${a.request.target} HTTP/${a.request.httpVersion}`,
    ...headerLines(a.request.headers),
  );
  return `${out.join("\n")}\n`;
}
