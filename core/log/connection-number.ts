let last = 0;

/**
 * The next client connection's number (nginx's `c->number`): `*N` in the error log and
 * `$connection`. One sequence per thread, whichever server of the platform accepted it.
 */
export function nextConnectionNumber(): number {
  last++;
  return last;
}
