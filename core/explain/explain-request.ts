import type { Config } from "../config/model.ts";
import type { ConnectionInfo, HeaderPairs, RequestHead } from "../exchange.ts";
import type { HeadRefusal } from "../http1/headers-in.ts";
import { RequestHeadParser } from "../http1/request-parser.ts";

/** What `edgeproxy explain` is asked about: a request as a client would send it, read as the server reads it. */
export interface ExplainInput {
  readonly head: RequestHead;
  readonly connection: ConnectionInfo;
  /** The server's HTTP/1 reader refused the head (a second Host, a bad name...): its status and log line. */
  readonly refused?: HeadRefusal;
}

/** nginx's `max_headers`, as the HTTP/1 server applies it. */
const MAX_HEADERS = 1000;

/**
 * Builds the request `explain` follows from its command-line form: `[METHOD] http://host[:port]/path?args`
 * (GET by default), extra header lines, and the client address (`--from`, default 127.0.0.1).
 * The connection arrives on the listen that takes the URL's port: the one bound to the URL's
 * address when it is an IP, else the port's wildcard, else any on that port. Throws a sentence
 * naming what is wrong.
 */
export function explainInput(config: Config, requestText: string, headerLines: readonly string[], from: string): ExplainInput {
  const parts = requestText.trim().split(/\s+/);
  const [method, urlText] = parts.length === 1 ? ["GET", parts[0] as string] : [parts[0] as string, parts[1] as string];
  if (parts.length > 2 || !/^[A-Z]+$/.test(method)) throw new Error(`expected "[METHOD] http://host[:port]/path", got "${requestText}"`);
  const url = /^http:\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([^#]*)$/i.exec(urlText);
  if (!url) throw new Error(`expected an http:// URL, got "${urlText}"`);
  const host = (url[1] as string).toLowerCase();
  const port = url[2] ? Number(url[2]) : 80;
  const target = url[3] || "/";
  const headers: HeaderPairs = headerLines.map(headerPair);
  if (!headers.some(([name]) => name.toLowerCase() === "host")) headers.unshift(["Host", url[2] ? `${host}:${port}` : host]);
  const connection = connectionFor(config, host.replace(/^\[|\]$/g, ""), port, from);
  return { ...readHead(config, method, target.startsWith("/") ? target : `/${target}`, headers), connection };
}

/**
 * The head as the HTTP/1 server reads it off the wire, with the config's limits and header-name
 * rules: invalid names dropped, duplicates refused, framing and upgrade decided.
 */
function readHead(config: Config, method: string, target: string, headers: HeaderPairs): { head: RequestHead; refused?: HeadRefusal } {
  const large = config.largeClientHeaderBuffers;
  const parser = new RequestHeadParser({
    buffers: { client: config.clientHeaderBufferSize, large: large.size, count: large.count },
    maxHeaders: MAX_HEADERS,
    ignoreInvalidHeaders: config.ignoreInvalidHeaders,
    underscoresInHeaders: config.underscoresInHeaders,
  });
  const text = `${method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`;
  const read = parser.push(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
  if (read === null) throw new Error(`the request head does not end: "${text}"`);
  if (read.kind === "refused") return { head: read.head, refused: { status: read.status, reason: read.reason } };
  return { head: read.head };
}

function headerPair(line: string): [string, string] {
  const colon = line.indexOf(":");
  if (colon <= 0) throw new Error(`expected a header as "Name: value", got "${line}"`);
  return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

function connectionFor(config: Config, host: string, port: number, from: string): ConnectionInfo {
  const onPort = config.listens.filter((l) => l.kind === "tcp" && l.port === port);
  const isIp = IP.test(host);
  const listen =
    (isIp && onPort.find((l) => l.kind === "tcp" && l.host === host)) ||
    onPort.find((l) => l.kind === "tcp" && l.host === null) ||
    onPort[0];
  if (listen?.kind !== "tcp") {
    const ports = config.listens.map((l) => l.key).join(", ");
    throw new Error(`no server listens on port ${port} (the config listens on ${ports || "nothing"})`);
  }
  const localAddress = isIp ? host : (listen.host ?? "127.0.0.1");
  return { remoteAddress: from, remotePort: 50000, listenKey: listen.key, localAddress, localPort: port, isTls: false };
}
