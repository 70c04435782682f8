/**
 * `npm run dev:workers -- -c FILE [wrangler dev options]` runs the Workers adapter in workerd
 * (wrangler dev) with FILE bundled, listening on FILE's first `listen` address;
 * `npm run deploy:workers -- -c FILE [--dry-run]` deploys it. The config is checked here
 * first, with the edge's limits, so a bad file stops with its FILE:LINE message.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileSource } from "../adapters/node/config-source.ts";
import { loadEdgeConfig } from "../adapters/workers/config.ts";
import { ConfigError } from "../core/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const [mode, ...rest] = process.argv.slice(2);
const at = rest.indexOf("-c");
if ((mode !== "dev" && mode !== "deploy") || at < 0 || !rest[at + 1]) {
  process.stderr.write("usage: node scripts/workers.ts dev|deploy -c FILE [wrangler options]\n");
  process.exit(2);
}
const file = resolve(rest[at + 1] as string);
const passThrough = rest.filter((_, i) => i !== at && i !== at + 1);

let text: string;
let listen: { host: string; port: number } | null = null;
try {
  text = fileSource.read(file);
  const config = loadEdgeConfig(text, file, { crit: warn, error: warn, warn, info: () => {} });
  const tcp = config.listens.find((l) => l.kind === "tcp");
  if (tcp?.kind === "tcp") listen = { host: tcp.host ?? "0.0.0.0", port: tcp.port };
} catch (error) {
  process.stderr.write(`edgeproxy: [emerg] ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}

// A generated entry bundles FILE in place of the example; the rest of wrangler.toml is kept.
// One directory per config file: wrangler watches its entry, so two runs must not share one.
const tag = createHash("sha1").update(file).digest("hex").slice(0, 10);
const dir = join(ROOT, ".wrangler", "edgeproxy", `${basename(file).replace(/[^\w.-]/g, "_")}-${tag}`);
mkdirSync(dir, { recursive: true });
const refreshMs = Number(process.env.EDGEPROXY_KV_REFRESH_MS) || 10_000;
writeFileSync(
  join(dir, "entry.ts"),
  `import configText from ${JSON.stringify(file)};
import { createWorker } from ${JSON.stringify(join(ROOT, "adapters/workers/worker.ts"))};
export default createWorker(configText, ${JSON.stringify(file)}, { kvRefreshMs: ${refreshMs} });
`,
);
const rootToml = readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace(/^main = .*$/m, 'main = "entry.ts"');
writeFileSync(
  join(dir, "wrangler.toml"),
  `${rootToml.replace("[[rules]]", `[[rules]]\ntype = "Text"\nglobs = [${JSON.stringify(`**/${basename(file)}`)}]\nfallthrough = true\n\n[[rules]]`)}`,
);

// Wrangler runs on this Node (its shebang would find the system's, which may be too old).
const wrangler = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const args =
  mode === "dev"
    ? [
        "dev",
        "--config",
        join(dir, "wrangler.toml"),
        "--show-interactive-dev-session=false",
        ...(passThrough.includes("--persist-to") ? [] : ["--persist-to", join(ROOT, ".wrangler", "state")]),
        ...(listen ? ["--ip", listen.host, "--port", String(listen.port)] : []),
        ...passThrough,
      ]
    : ["deploy", "--config", join(dir, "wrangler.toml"), ...passThrough];
const path = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
const child = spawn(process.execPath, [wrangler, ...args], {
  stdio: "inherit",
  env: { ...process.env, PATH: path, WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

function warn(message: string): void {
  process.stderr.write(`edgeproxy: [warn] ${message}\n`);
}
