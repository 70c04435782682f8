import net from "node:net";

/** What a client does in turn: write, wait for some text or some time, or shut its sending side. */
export type Step = string | { until: string } | { waitMs: number } | "shutdown";

/** Opens a connection, takes `steps` in turn, and reads until the server closes (or `timeoutMs`). */
export async function converse(port: number, steps: Step[], timeoutMs = 5000): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  let got = "";
  const waiters: (() => void)[] = [];
  socket.on("data", (d: Buffer) => {
    got += d.toString("latin1");
    for (const w of waiters.splice(0)) w();
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await new Promise((resolve) => socket.once("connect", resolve));
  for (const step of steps) {
    if (step === "shutdown") socket.end();
    else if (typeof step === "string") socket.write(step);
    else if ("waitMs" in step) await new Promise((r) => setTimeout(r, step.waitMs));
    else while (!got.includes(step.until) && !socket.destroyed) await new Promise<void>((r) => waiters.push(r));
  }
  await closed;
  clearTimeout(timer);
  return got;
}

/** Responses without what differs by server: `Date`, `Server`, the signature and length of nginx's pages. */
export function normalized(text: string): string {
  return text
    .replace(/^(Date|Server): .*\r\n/gm, "")
    .replace(/<hr><center>[^<]*<\/center>/g, "<hr>")
    .replace(/(Content-Type: text\/html\r\n)Content-Length: \d+\r\n/g, "$1");
}
