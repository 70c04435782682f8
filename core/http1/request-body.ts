import { concatBytes } from "../buffer/concat.ts";
import { type ClientBody, MalformedBodyError } from "../exchange.ts";
import { ChunkedDecoder } from "./chunked.ts";
import type { ClientConnection } from "./connection.ts";
import type { RequestFacts } from "./headers-in.ts";

/** The client closed its connection before its body was whole. */
export class ClientClosedError extends Error {
  constructor() {
    super("client prematurely closed connection");
    this.name = "ClientClosedError";
  }
}

const CONTINUE = new Uint8Array([...("HTTP/1.1 100 Continue\r\n\r\n" as string)].map((c) => c.charCodeAt(0)));

/**
 * A request body read off a client connection, framed as the read phase decided (heads that
 * could be read two ways never get here). It starts with the bytes that came with the head
 * (`preread`). Bytes after the body are the next request's: `finish()` hands them back, once the
 * rest of this body has been read and dropped.
 */
export class RequestBody implements ClientBody {
  readonly #conn: ClientConnection;
  readonly #chunked: ChunkedDecoder | null;
  /** Bytes still to come for a Content-Length body. */
  #remaining: number;
  #preread: Uint8Array | null = null;
  /** Bytes read past the end of the body. */
  #after: Uint8Array | null = null;
  #done: boolean;
  #started = false;
  /** Not yet answered: nginx sends 100 Continue when it starts reading. */
  #expectsContinue: boolean;
  /** Bytes of the connection the body took, its chunk framing included. */
  #wireBytes = 0;

  constructor(conn: ClientConnection, facts: RequestFacts, preread: Uint8Array) {
    const framing = facts.framing;
    this.#conn = conn;
    this.#chunked = framing.kind === "chunked" ? new ChunkedDecoder() : null;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#done = this.#chunked === null && this.#remaining === 0;
    this.#expectsContinue = facts.expectsContinue;
    const rest = preread.byteLength > 0 ? preread : null;
    // A request without a body: what came after its head is the next request.
    if (this.#done) this.#after = rest;
    else this.#preread = rest;
  }

  /** Whether the whole body came with the head (nginx sends such a body buffered). */
  isPrereadComplete = (): Promise<boolean> => {
    if (this.#done || this.#started) return Promise.resolve(this.#done);
    const preread = this.#preread;
    if (!preread) return Promise.resolve(false);
    if (!this.#chunked) return Promise.resolve(preread.byteLength >= this.#remaining);
    const probe = new ChunkedDecoder();
    try {
      probe.feed(preread);
    } catch {
      return Promise.resolve(false);
    }
    return Promise.resolve(probe.isDone);
  };

  watchClient = (onGone: () => void): (() => void) => {
    this.#conn.watchClose(onGone);
    return () => this.#conn.watchClose(null);
  };

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    this.#started = true;
    if (this.#expectsContinue) {
      this.#expectsContinue = false;
      if (!this.#preread) await this.#conn.write(CONTINUE);
    }
    for (;;) {
      const data = await this.#next();
      if (data === null) return;
      if (data.byteLength > 0) yield data;
    }
  }

  /** Bytes of the connection the body took so far, its chunk framing included. */
  get wireBytes(): number {
    return this.#wireBytes;
  }

  /**
   * After the response: reads and drops what is left of the body, and returns the bytes that
   * follow it (the next request's start), or null when the connection cannot be reused (the
   * client was never told to send a body it expected to be asked for, or the body broke).
   */
  async finish(): Promise<Uint8Array | null> {
    if (!this.#done && this.#expectsContinue && !this.#preread) return null;
    try {
      while ((await this.#next()) !== null);
    } catch {
      return null;
    }
    return this.#after ?? new Uint8Array(0);
  }

  /** The next piece of the body (maybe empty); null at its end. */
  async #next(): Promise<Uint8Array | null> {
    if (this.#done) return null;
    let input = this.#preread;
    this.#preread = null;
    if (input === null) {
      input = await this.#conn.read();
      if (input === null) throw new ClientClosedError();
    }
    const decoder = this.#chunked;
    if (decoder === null) {
      if (input.byteLength <= this.#remaining) {
        this.#remaining -= input.byteLength;
        this.#wireBytes += input.byteLength;
        this.#done = this.#remaining === 0;
        return input;
      }
      const data = input.subarray(0, this.#remaining);
      this.#after = input.subarray(this.#remaining);
      this.#wireBytes += this.#remaining;
      this.#remaining = 0;
      this.#done = true;
      return data;
    }
    let decoded: { data: Uint8Array[]; used: number };
    try {
      decoded = decoder.feed(input);
    } catch (error) {
      throw new MalformedBodyError((error as Error).message);
    }
    this.#wireBytes += decoded.used;
    if (decoder.isDone) {
      this.#done = true;
      if (decoded.used < input.byteLength) this.#after = input.subarray(decoded.used);
    }
    const { data } = decoded;
    if (data.length === 1) return data[0] as Uint8Array;
    if (data.length === 0) return new Uint8Array(0);
    let size = 0;
    for (const d of data) size += d.byteLength;
    return concatBytes(data, size);
  }
}
