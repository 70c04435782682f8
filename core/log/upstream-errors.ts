import type { PeerAddress } from "../config/model.ts";
import { describeSocketError } from "./system-error.ts";

/**
 * Where an upstream attempt was when it failed, as nginx's log action says it
 * (`c->log->action`): the words after "while" in its error-log line.
 */
export type UpstreamStage = "connecting" | "ssl-handshaking" | "sending" | "reading-header";

const ACTIONS: Readonly<Record<UpstreamStage | "reading-body", string>> = {
  connecting: "connecting to upstream",
  "ssl-handshaking": "SSL handshaking to upstream",
  sending: "sending request to upstream",
  "reading-header": "reading response header from upstream",
  "reading-body": "reading upstream",
};

/** "reading response header from upstream": what nginx's log says it was doing at this stage. */
export function upstreamAction(stage: UpstreamStage | "reading-body"): string {
  return ACTIONS[stage];
}

/** " while reading response header from upstream": the action nginx appends to a message. */
export function whileDoing(stage: UpstreamStage | "reading-body"): string {
  return ` while ${ACTIONS[stage]}`;
}

/** nginx's words for a timer that fired on an upstream connection (`NGX_ETIMEDOUT`). */
export const UPSTREAM_TIMED_OUT = "upstream timed out (110: Connection timed out)";

export const PREMATURELY_CLOSED = "upstream prematurely closed connection";

/** A failed connect, as `ngx_event_connect_peer()` logs it: the unix path is named, an address is not. */
export function connectFailed(peer: PeerAddress, reason: string): string {
  return peer.kind === "unix" ? `connect() to unix:${peer.path} failed (${reason})` : `connect() failed (${reason})`;
}

/** A socket error on an upstream connection, as the system call that met it logs it. */
export function socketFailed(call: "recv" | "writev", error: unknown): string {
  return `${call}() failed (${describeSocketError(error)})`;
}
