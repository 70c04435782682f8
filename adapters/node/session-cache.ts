import type tls from "node:tls";

/**
 * `ssl_session_cache builtin[:N] | shared:NAME:SIZE`: sessions a client may resume by id, kept
 * in this process (nginx's shared zone spans its workers; here each thread has its own), the
 * oldest dropped first past the size, each for `ssl_session_timeout`. node:tls asks through
 * its `newSession` and `resumeSession` events.
 */
export class SessionCache {
  readonly #sessions = new Map<string, { readonly data: Buffer; readonly expiresMs: number }>();
  readonly #max: number;
  readonly #timeoutMs: number;

  constructor(maxSessions: number, timeoutMs: number) {
    this.#max = maxSessions;
    this.#timeoutMs = timeoutMs;
  }

  attach(server: tls.Server): void {
    server.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
      this.#store(id.toString("hex"), data);
      done();
    });
    server.on("resumeSession", (id: Buffer, done: (error: Error | null, data?: Buffer | null) => void) => {
      done(null, this.#find(id.toString("hex")));
    });
  }

  #store(key: string, data: Buffer): void {
    this.#sessions.delete(key);
    this.#sessions.set(key, { data, expiresMs: Date.now() + this.#timeoutMs });
    if (this.#sessions.size > this.#max) this.#sessions.delete(this.#sessions.keys().next().value as string);
  }

  #find(key: string): Buffer | null {
    const session = this.#sessions.get(key);
    if (!session) return null;
    if (session.expiresMs <= Date.now()) {
      this.#sessions.delete(key);
      return null;
    }
    return session.data;
  }
}
