import { resolve } from "node:path";
import {
  type Capabilities,
  createExplainer,
  explainInput,
  MemoryFailureState,
  renderExplanation,
  type Transport,
} from "../../core/index.ts";
import { nodeFileTests } from "./file-tests.ts";
import { configErrorMessage, loadConfig } from "./load-config.ts";
import { peerHealthStore } from "./shared-state.ts";
import { DEFAULT_CONFIG_PATH } from "./version.ts";

const USAGE = `usage: edgeproxy explain [-c FILE] '[METHOD] http://host[:port]/path?args' [-H 'Name: value']... [--from ADDR] [--json]\n`;

/** What `edgeproxy explain` was asked. */
interface ExplainArgs {
  readonly file: string;
  readonly request: string;
  readonly headers: readonly string[];
  readonly from: string;
  readonly isJson: boolean;
}

function parseArgs(argv: readonly string[]): ExplainArgs | string {
  let file = DEFAULT_CONFIG_PATH;
  let request: string | null = null;
  const headers: string[] = [];
  let from = "127.0.0.1";
  let isJson = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`option "${arg}" requires a value`);
      return v;
    };
    if (arg === "-c") file = value();
    else if (arg === "-H") headers.push(value());
    else if (arg === "--from") from = value();
    else if (arg === "--json") isJson = true;
    else if (arg.startsWith("-") || request !== null) return `invalid argument: "${arg}"`;
    else request = arg;
  }
  if (request === null) return "the request to explain is missing";
  return { file: resolve(file), request, headers, from, isJson };
}

/** Nothing is sent by explain: a transport that says so if a bug ever reaches it. */
const NO_TRANSPORT: Transport = {
  request: () => {
    throw new Error("edgeproxy explain sends nothing");
  },
} as unknown as Transport;

/**
 * `edgeproxy explain`: where a request would go under a config, and why, without sending
 * anything (core/explain/). Peer states are a starting process's, or with `edgeproxy_state`
 * what the servers share through Redis. Returns the exit status.
 */
export async function runExplain(argv: readonly string[]): Promise<number> {
  let args: ExplainArgs | string;
  try {
    args = parseArgs(argv);
  } catch (error) {
    args = (error as Error).message;
  }
  if (typeof args === "string") {
    process.stderr.write(`edgeproxy: ${args}\n${USAGE}`);
    return 1;
  }
  const quiet = { alert() {}, crit() {}, error() {}, warn() {}, notice() {}, info() {} };
  try {
    const loaded = await loadConfig(args.file, { warn: (m) => process.stderr.write(`edgeproxy: [warn] ${m}\n`) });
    const input = explainInput(loaded.config, args.request, args.headers, args.from);
    // With edgeproxy_state, the peer states are the ones the servers share through Redis.
    const store = await peerHealthStore(loaded.config, new MemoryFailureState(), quiet);
    try {
      const caps: Capabilities = {
        transport: NO_TRANSPORT,
        failures: store.failures,
        spool: null,
        clock: { now: () => Date.now() },
        log: quiet,
        files: nodeFileTests,
      };
      const explainer = createExplainer(loaded.config, caps);
      await store.synced;
      const explanation = explainer(input, loaded.tree);
      process.stdout.write(args.isJson ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    process.stderr.write(`edgeproxy: ${configErrorMessage(error)}\n`);
    return 1;
  }
}
