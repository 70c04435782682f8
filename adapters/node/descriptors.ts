import { readdirSync, readFileSync } from "node:fs";
import type { Logger } from "../../core/index.ts";

/** nginx's pause after a failed accept (`accept_mutex_delay`): one log line per pause. */
const PAUSE_MS = 500;
/** How long a count of open descriptors is trusted while connections pour in. */
const RECOUNT_MS = 50;

/**
 * Keeps the process from running out of file descriptors on accept, as nginx keeps serving when
 * it does: once fewer than `reserve` descriptors are free, a new connection is closed at once
 * and nginx's `accept4() failed (24: Too many open files)` is logged, at most once per 500 ms;
 * when descriptors free up, connections are taken again. The reserve is for what requests in
 * flight still open (upstream connections, spool files, logs).
 *
 * Accepting into the limit itself is not an option: Node's libuv then drops the waiting
 * connections without a word, and Bun's listener spins on the failing accept at 100% CPU and
 * serves nothing again. Descriptors are counted from /proc/self/fd, only when the open
 * connections get near the limit and at most every 50 ms; without /proc (not Linux) the guard
 * does nothing.
 */
export class DescriptorGuard {
  readonly #limit: number;
  readonly #reserve: number;
  readonly #log: Logger;
  #counted = 0;
  #countedAt = -Infinity;
  #acceptedSince = 0;
  #loggedAt = -Infinity;

  constructor(log: Logger, limit = softLimit()) {
    this.#log = log;
    this.#limit = limit;
    this.#reserve = Math.max(16, Math.ceil(limit / 64));
  }

  /** Whether a connection just accepted may stay, `open` being the connections already served. */
  admits(open: number): boolean {
    // Far from the limit, counting costs more than it tells.
    if (open + 2 * this.#reserve < this.#limit / 2) return true;
    const now = Date.now();
    if (now - this.#countedAt >= RECOUNT_MS) {
      this.#counted = openDescriptors();
      this.#countedAt = now;
      this.#acceptedSince = 0;
    }
    const inUse = this.#counted + this.#acceptedSince;
    if (inUse + this.#reserve < this.#limit) {
      this.#acceptedSince++;
      return true;
    }
    if (now - this.#loggedAt >= PAUSE_MS) {
      this.#loggedAt = now;
      this.#log.crit("accept4() failed (24: Too many open files)");
    }
    return false;
  }
}

/** The soft RLIMIT_NOFILE, from /proc/self/limits; Infinity where that cannot be read. */
function softLimit(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return line?.[1] && line[1] !== "unlimited" ? Number(line[1]) : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function openDescriptors(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}
