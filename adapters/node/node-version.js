// Plain JavaScript that any Node can run: it is imported before the first TypeScript file.

/** The oldest Node that runs edgeproxy: 22.18 strips TypeScript types without a flag. */
const OLDEST = [22, 18];

/**
 * Exits with a one-line `[emerg]` (no stack trace) when this Node is older than 22.18, before
 * anything that needs a newer one is loaded.
 * @returns {void}
 */
export function exitUnlessNodeFits() {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major > OLDEST[0] || (major === OLDEST[0] && minor >= OLDEST[1])) return;
  process.stderr.write(
    `edgeproxy: [emerg] Node.js ${OLDEST.join(".")} or newer is required, this is ${process.version} (${process.execPath})\n`,
  );
  process.exit(1);
}
