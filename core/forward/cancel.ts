/** A request's cancellation: one listener at a time, so a keep-alive connection gathers none. */
export class Cancel {
  #cancelled = false;
  #listener: (() => void) | null = null;

  get isCancelled(): boolean {
    return this.#cancelled;
  }

  /** Calls `listener` when cancelled (at once if it already is); null removes it. */
  listen(listener: (() => void) | null): void {
    this.#listener = listener;
    if (listener && this.#cancelled) listener();
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#listener?.();
  }
}
