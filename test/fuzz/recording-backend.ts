import net from "node:net";
import { splitUpstreamRequest, type UpstreamSplit } from "./upstream-request-splitter.ts";

/** One thing a backend received: a request, bytes it could not parse, or bytes left unfinished. */
export interface UpstreamEntry {
  readonly lane: number;
  /** Which upstream connection carried it (numbered per backend): keepalive reuse shows here. */
  readonly connection: number;
  readonly kind: "request" | "unparsed" | "incomplete";
  readonly bytes: Buffer;
  /** The client port the proxy named (`X-Fuzz-Client`), or the one named before on this connection. */
  readonly clientPort: number | null;
  /**
   * The case it belongs to, decided when it arrived (a client port is soon reused by a later case):
   * the case of the client it names, else the case its lane was running.
   */
  readonly caseIndex: number;
}

/** What a backend writes for one request: bytes in order (each after its delay), then maybe a close. */
export interface ReplyPlan {
  readonly segments: readonly { readonly bytes: Buffer; readonly delayMs: number }[];
  readonly close: boolean;
}

/** The case of the client at `port` on `lane`, if the harness knows it. */
export type CaseOfClient = (lane: number, port: number | null) => number | undefined;

/** Decides the answer to one parsed request. */
export type Replier = (entry: UpstreamEntry, request: Extract<UpstreamSplit, { kind: "request" }>) => ReplyPlan;

/** A raw-TCP backend listening on one loopback port per lane, recording everything it receives. */
export interface RecordingBackend {
  readonly ports: readonly number[];
  readonly entries: UpstreamEntry[];
  /** The case each lane is running now (set by the harness before the case's clients connect). */
  readonly laneCase: number[];
  /** Closes the lane's upstream connections (recording bytes left unfinished), so the next case starts with an empty pool. */
  resetLane(lane: number): void;
  close(): Promise<void>;
}

/** Bytes received after an invalid head are collected for this long, so the record does not depend on how reads split. */
const UNPARSED_GRACE_MS = 30;

const TAG_IN_HEAD = /\r\nX-Fuzz-Client: (\d+)\r\n/i;

interface Upstream {
  readonly id: number;
  readonly lane: number;
  readonly socket: net.Socket;
  buffer: Buffer;
  clientPort: number | null;
  replies: Promise<void>;
  /** No more requests are parsed: it is closing after an invalid head or a close request. */
  done: boolean;
}

/** Starts a recording backend with `lanes` ports; `reply` chooses each answer, `caseOf` charges each entry. */
export async function startRecordingBackend(lanes: number, reply: Replier, caseOf: CaseOfClient): Promise<RecordingBackend> {
  const entries: UpstreamEntry[] = [];
  const laneCase = new Array<number>(lanes).fill(-1);
  const open = new Set<Upstream>();
  let connections = 0;

  const record = (up: Upstream, kind: UpstreamEntry["kind"], bytes: Buffer, clientPort: number | null): UpstreamEntry => {
    const caseIndex = caseOf(up.lane, clientPort) ?? (laneCase[up.lane] as number);
    const entry = { lane: up.lane, connection: up.id, kind, bytes, clientPort, caseIndex };
    entries.push(entry);
    return entry;
  };
  // Bytes no request took: charged to the client they name, else the last one on the connection.
  const recordLeftover = (up: Upstream, kind: "unparsed" | "incomplete") => {
    if (up.buffer.length === 0) return;
    const named = TAG_IN_HEAD.exec(up.buffer.toString("latin1"));
    record(up, kind, up.buffer, named ? Number(named[1]) : up.clientPort);
    up.buffer = Buffer.alloc(0);
  };

  const serve = (up: Upstream) => {
    while (!up.done) {
      const split = splitUpstreamRequest(up.buffer);
      if (split.kind === "incomplete") return;
      if (split.kind === "invalid") {
        up.done = true;
        setTimeout(() => {
          recordLeftover(up, "unparsed");
          up.socket.end();
        }, UNPARSED_GRACE_MS);
        return;
      }
      const bytes = up.buffer.subarray(0, split.length);
      up.buffer = up.buffer.subarray(split.length);
      const tag = split.headers.find(([n]) => n.toLowerCase() === "x-fuzz-client")?.[1];
      if (tag !== undefined && /^\d+$/.test(tag)) up.clientPort = Number(tag);
      const entry = record(up, "request", Buffer.from(bytes), up.clientPort);
      const plan = reply(entry, split);
      if (plan.close || split.wantsClose) up.done = true;
      up.replies = up.replies.then(() => send(up.socket, plan, split.wantsClose));
    }
  };

  const servers = await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const server = net.createServer((socket) => {
        const up: Upstream = {
          id: ++connections,
          lane,
          socket,
          buffer: Buffer.alloc(0),
          clientPort: null,
          replies: Promise.resolve(),
          done: false,
        };
        open.add(up);
        socket.setNoDelay(true);
        socket.on("error", () => {});
        socket.on("data", (chunk: Buffer) => {
          up.buffer = up.buffer.length === 0 ? chunk : Buffer.concat([up.buffer, chunk]);
          serve(up);
        });
        socket.on("close", () => {
          open.delete(up);
          recordLeftover(up, up.done ? "unparsed" : "incomplete");
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return server;
    }),
  );

  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    entries,
    laneCase,
    resetLane(lane) {
      for (const up of open) {
        if (up.lane !== lane) continue;
        open.delete(up);
        recordLeftover(up, up.done ? "unparsed" : "incomplete");
        up.done = true;
        up.socket.destroy();
      }
    },
    close: async () => {
      for (const up of open) up.socket.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

async function send(socket: net.Socket, plan: ReplyPlan, requestWantsClose: boolean): Promise<void> {
  for (const segment of plan.segments) {
    if (segment.delayMs > 0) await new Promise((r) => setTimeout(r, segment.delayMs));
    if (socket.destroyed) return;
    socket.write(segment.bytes);
  }
  if ((plan.close || requestWantsClose) && !socket.destroyed) socket.end();
}
