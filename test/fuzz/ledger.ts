/**
 * Who is who in a fuzz run: which case and role each client connection belongs to, and which
 * client each response token was written for. The proxies name the client port in every upstream
 * request (`X-Fuzz-Client: $remote_port`), so the backends can charge each request to its case and
 * each answer to its client as it arrives, whatever lane or case runs at that moment. A local port
 * is unique only per destination and is soon reused by a later case, so a client is known by proxy,
 * lane (the proxy port it connected to) and port, and looked up when its bytes arrive.
 */

/** The client connections of a case: the only one of a request case, or the two of a response case. */
export type Role = "client" | "first" | "second";

/** One client connection of one case, through one proxy. */
export interface ClientTag {
  readonly proxy: string;
  readonly caseIndex: number;
  readonly role: Role;
}

/** `~T` + 8 digits + `~`: fixed width, so a template mutated before tokens are filled keeps its length. */
export const TOKEN_PLACEHOLDER = "~T########~";
export const TOKEN_PATTERN = /~T(\d{8})~/g;

/** The registry of client connections and of the tokens written for them. */
export class Ledger {
  readonly #clients = new Map<string, ClientTag>();
  readonly #tokens = new Map<number, ClientTag | null>();
  #nextToken = 1;

  /** Records that the connection from local `port` to `proxy`'s `lane` is this case's `role`. */
  registerClient(proxy: string, lane: number, port: number, tag: ClientTag): void {
    this.#clients.set(`${proxy}/${lane}/${port}`, tag);
  }

  clientAt(proxy: string, lane: number, port: number | null): ClientTag | undefined {
    return port === null ? undefined : this.#clients.get(`${proxy}/${lane}/${port}`);
  }

  /** A new token meant for the client at `port` (null: nobody known). */
  issueToken(proxy: string, lane: number, port: number | null): string {
    const n = this.#nextToken++;
    this.#tokens.set(n, this.clientAt(proxy, lane, port) ?? null);
    return `~T${String(n).padStart(8, "0")}~`;
  }

  /** Who a token was written for: a tag, null when the backend knew no client, undefined when it never issued it. */
  tokenOwner(token: number): ClientTag | null | undefined {
    return this.#tokens.get(token);
  }
}
