import { eventFamily, readTransition } from "../../core/index.ts";

/** The storage calls the object makes (a Durable Object's `ctx.storage`). */
interface StorageLike {
  list<T>(): Promise<Map<string, T>>;
  put(key: string, value: unknown): Promise<void>;
}

/** What workerd hands the object's constructor. */
interface ObjectState {
  readonly storage: StorageLike;
  blockConcurrencyWhile<T>(run: () => Promise<T>): Promise<T>;
}

/**
 * The Durable Object behind DurableFailureState: one per upstream, holding the latest transition
 * of each of its peers, passive and active apart (`passive KEY`, `active KEY`), each replaced only
 * by a newer one. `GET` reads them all, `POST {key, t}` writes one. Kept in memory and in the
 * object's storage, so a restarted object starts from what it knew. Export it from the Worker
 * (the generated entry does) and bind it as `EDGEPROXY_PEERS` (README).
 */
export class EdgeproxyPeerState {
  readonly #state: ObjectState;
  #records = new Map<string, unknown>();

  constructor(state: ObjectState) {
    this.#state = state;
    void state.blockConcurrencyWhile(async () => {
      this.#records = await state.storage.list<unknown>();
    });
  }

  async fetch(request: Request): Promise<Response> {
    if (request.method === "GET") {
      // Each record under its peer key; the transition's event says its family.
      return Response.json({ records: [...this.#records].map(([name, t]) => [name.slice(name.indexOf(" ") + 1), t]) });
    }
    if (request.method !== "POST") return new Response(null, { status: 405 });
    const { key, t: value } = (await request.json()) as { key?: unknown; t?: unknown };
    const t = readTransition(value);
    if (typeof key !== "string" || !t) return new Response(null, { status: 400 });
    const name = `${eventFamily(t.event)} ${key}`;
    const known = readTransition(this.#records.get(name));
    if (!known || known.at < t.at) {
      this.#records.set(name, t);
      await this.#state.storage.put(name, t);
    }
    return Response.json({ ok: true });
  }
}
