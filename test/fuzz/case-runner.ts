import type { FuzzCase } from "./cases.ts";
import { type ClientOutcome, FuzzClient, type Patience } from "./fuzz-client.ts";
import type { ClientTag, Ledger, Role } from "./ledger.ts";
import { FIRST_REQUESTS, SECOND_REQUEST } from "./response-corpus.ts";

/** One client connection's outcome, with the case and role it belongs to. */
export interface FuzzClientRecord extends ClientOutcome {
  readonly tag: ClientTag;
}

/** How long after the first client settles the second one connects, so late upstream bytes have arrived at the pool. */
const LATE_BYTES_MARGIN_MS = 30;

/**
 * Plays one case against one proxy port: a request case sends its bytes on one connection; a
 * response case sends an ordinary first request (which the backend answers with the case's
 * script), then, on a fresh connection, an ordinary second one. Every connection is registered in
 * the ledger before it writes, and kept open until the case ends.
 */
export async function playCase(
  proxy: string,
  lane: { index: number; port: number },
  c: FuzzCase,
  ledger: Ledger,
  patience: Patience,
): Promise<FuzzClientRecord[]> {
  const open = async (role: Role) => {
    const tag = { proxy, caseIndex: c.index, role };
    return { tag, client: await FuzzClient.open(lane.port, (local) => ledger.registerClient(proxy, lane.index, local, tag)) };
  };
  if (c.kind === "request") {
    const one = await open("client");
    await one.client.send(c.bytes, c.splits, patience);
    await one.client.settle(patience);
    return [{ ...one.client.finish(), tag: one.tag }];
  }
  const first = await open("first");
  await first.client.send(Buffer.from(FIRST_REQUESTS[c.first], "latin1"), [], patience);
  await first.client.settle(patience);
  const lastDelay = Math.max(0, ...c.segments.map((s) => s.delayMs));
  if (lastDelay > 0) await new Promise((r) => setTimeout(r, lastDelay + LATE_BYTES_MARGIN_MS));
  const second = await open("second");
  await second.client.send(Buffer.from(SECOND_REQUEST, "latin1"), [], patience);
  await second.client.settle(patience);
  return [
    { ...first.client.finish(), tag: first.tag },
    { ...second.client.finish(), tag: second.tag },
  ];
}
