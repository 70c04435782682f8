/**
 * Where a header line stops being readable, and how nginx quotes such a line in its error log
 * (`"Bad\x20..."`: the line up to that byte, the byte in hex, then "...").
 */

/** The index of the first byte no header line may have there: in the name, a control byte, space or DEL (or a leading colon); in the value, NUL or CR. -1 when none. */
export function badByteAt(line: string): number {
  const colon = line.indexOf(":");
  const nameEnd = colon < 0 ? line.length : colon;
  if (nameEnd === 0) return 0;
  for (let i = 0; i < nameEnd; i++) {
    const c = line.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return i;
  }
  for (let i = nameEnd + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0 || c === 0x0d) return i;
  }
  return -1;
}

/** `Bad\x20...`: the line up to `at`, the byte at `at` in hex, and "..." (nginx's `%*s\x%02xd...`). */
export function quoteBadLine(line: string, at: number): string {
  const byte = at < line.length ? `\\x${line.charCodeAt(at).toString(16).padStart(2, "0")}` : "";
  return `${line.slice(0, at)}${byte}...`;
}
